using BodyCam.Contracts;
using MassTransit;

namespace BodyCam.Audit.Chain;

/// <summary>Appends every integration event of type <typeparamref name="TEvent"/> to the audit chain.</summary>
public sealed class RecordingConsumer<TEvent>(AuditChain chain) : IConsumer<TEvent>
    where TEvent : class, IIntegrationEvent
{
    public Task Consume(ConsumeContext<TEvent> context) =>
        chain.AppendAsync(
            context.MessageId ?? throw new InvalidOperationException($"{typeof(TEvent).Name} arrived without a message id."),
            context.Message,
            context.CancellationToken);
}

public static class RecordingConsumers
{
    /// <summary>The queue every integration event reaches audit through, in arrival order.</summary>
    public const string Endpoint = "audit-chain";

    /// <summary>Every integration event type in the contracts: audit records them all.</summary>
    public static IEnumerable<Type> EventTypes() =>
        typeof(IIntegrationEvent).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IIntegrationEvent).IsAssignableFrom(t));

    public static void AddRecordingConsumers(this IBusRegistrationConfigurator bus)
    {
        foreach (var type in EventTypes())
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
