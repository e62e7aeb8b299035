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

public static class RecordingConsumers
{
    /// <summary>The queue every integration event reaches audit through, in arrival order.</summary>
    public const string Endpoint = "audit-chain";

    public static void AddRecordingConsumers(this IBusRegistrationConfigurator bus)
    {
        // Every integration event type in the contracts: audit records them all.
        foreach (var type in IntegrationEventTypes.All)
        {
            bus.AddConsumer(typeof(RecordingConsumer<>).MakeGenericType(type))
                .Endpoint(e =>
                {
                    e.Name = Endpoint;
                    // Many in flight, so the chain's single writer can record them a batch at a time.
                    e.ConcurrentMessageLimit = AuditChain.MaxBatch;
                    e.PrefetchCount = AuditChain.MaxBatch * 2;
                });
        }
    }
}
