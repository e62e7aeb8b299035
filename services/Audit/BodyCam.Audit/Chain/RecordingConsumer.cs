using BodyCam.Contracts;
using MassTransit;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Messaging.Redelivery;

namespace BodyCam.Audit.Chain;

/// <summary>Appends every integration event of type <typeparamref name="TEvent"/> to the audit chain.</summary>
public sealed class RecordingConsumer<TEvent>(AuditChain chain) : IConsumer<TEvent>
    where TEvent : class, IIntegrationEvent
{
    public Task Consume(ConsumeContext<TEvent> context) =>
        chain.AppendAsync(
            context.MessageId ?? throw new PoisonMessageException($"{typeof(TEvent).Name} arrived without a message id."),
            context.Message,
            Deliveries.DeliveryOf(context),
            Deliveries.OrderOf(context),
            context.CancellationToken);
}

/// <summary>
/// Audit's recording queue. Its consumers are registered with the bus but take messages only on the
/// instance elected as the chain's writer (<see cref="ChainWriterElection"/>): other instances serve
/// reads. The topology step (<c>BodyCam:DeployTopology</c>) still declares the queue and its bindings,
/// so facts wait there while no writer is elected.
/// </summary>
public static class RecordingConsumers
{
    /// <summary>The queue every integration event reaches audit through, in arrival order.</summary>
    public const string Endpoint = "audit-chain";

    private static readonly Type[] Consumers = [.. IntegrationEventTypes.All.Select(type => typeof(RecordingConsumer<>).MakeGenericType(type))];

    public static void AddRecordingConsumers(this IBusRegistrationConfigurator bus, bool deployingTopology)
    {
        // Every integration event type in the contracts: audit records them all.
        foreach (var consumer in Consumers)
        {
            var registration = bus.AddConsumer(consumer);
            registration.Endpoint(e =>
            {
                e.Name = Endpoint;
                e.ConcurrentMessageLimit = AuditChain.MaxBatch;
                e.PrefetchCount = AuditChain.MaxBatch * 2;
            });
            if (!deployingTopology)
            {
                registration.ExcludeFromConfigureEndpoints();
            }
        }
    }

    /// <summary>The recording endpoint as the elected writer connects it.</summary>
    public static void Configure(IBusRegistrationContext context, IReceiveEndpointConfigurator endpoint)
    {
        // Many in flight, so the chain's single writer can record them a batch at a time.
        endpoint.ConcurrentMessageLimit = AuditChain.MaxBatch;
        endpoint.PrefetchCount = AuditChain.MaxBatch * 2;
        endpoint.AsServiceQueue(context.GetRequiredService<ServiceQueues>(), Endpoint);
        foreach (var consumer in Consumers)
        {
            endpoint.ConfigureConsumer(context, consumer);
        }
    }
}
