using System.Diagnostics.Metrics;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>
/// Wraps every consumer: a message whose handling failed after the immediate retries is parked in a
/// delay queue and comes back later (<see cref="DelayedRedeliveryOptions"/>), holding no consumer slot
/// meanwhile; it goes to the error queue only when it can never succeed (<see cref="IsPoison"/>) or
/// when <see cref="DelayedRedeliveryOptions.GiveUpAfter"/> has passed since it first failed.
/// </summary>
public sealed class RedeliveryFilter<T>(RedeliveryBroker broker, RedeliveryMetrics metrics, IOptions<DelayedRedeliveryOptions> options, TimeProvider time, ILogger<RedeliveryBroker> log)
    : IFilter<ConsumeContext<T>>
    where T : class
{
    // A batch is made of messages that each pass through this filter on their own; the batch's
    // failure reaches each of them there.
    private static readonly bool IsBatch = typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(Batch<>);

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (IsBatch)
        {
            await next.Send(context);
            return;
        }

        try
        {
            await next.Send(context);
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            var queue = context.ReceiveContext.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            var (redeliveries, firstFailed) = RedeliveryBroker.History(context.ReceiveContext);
            var now = time.GetUtcNow();
            var since = firstFailed ?? now;
            if (IsPoison(e))
            {
                metrics.DeadLettered(queue, "poison");
                log.LogError(e, "{MessageType} {MessageId} on {Queue} can never be handled; it goes to {ErrorQueue} for a person to look at",
                    typeof(T).Name, context.MessageId, queue, ServiceQueues.ErrorQueue(queue));
                throw;
            }

            if (now - since >= options.Value.GiveUpAfter || !broker.Queues.Contains(queue))
            {
                metrics.DeadLettered(queue, "gave-up");
                log.LogError(e, "{MessageType} {MessageId} on {Queue} still fails {Elapsed} after it first failed ({Redeliveries} redeliveries); it goes to {ErrorQueue} for a person to look at",
                    typeof(T).Name, context.MessageId, queue, now - since, redeliveries, ServiceQueues.ErrorQueue(queue));
                throw;
            }

            var delay = options.Value.DelayFor(redeliveries + 1);
            await broker.DelayAsync(context.ReceiveContext, queue, redeliveries + 1, since, e, context.CancellationToken);
            metrics.Delayed(queue);
            log.LogWarning(e, "{MessageType} {MessageId} on {Queue} failed; it comes back in {Delay} (redelivery {Redelivery}, failing since {Since:u})",
                typeof(T).Name, context.MessageId, queue, delay, redeliveries + 1, since);
        }
    }

    /// <summary>A fault in the message itself, which no wait will mend.</summary>
    public static bool IsPoison(Exception e) => e switch
    {
        PoisonMessageException or JsonException or FormatException or ArgumentException or InvalidCastException => true,
        AggregateException { InnerExceptions.Count: > 0 } all => all.InnerExceptions.All(IsPoison),
        _ => false,
    };

    public void Probe(ProbeContext context) => context.CreateFilterScope("bodycam-redelivery");
}

/// <summary>Counts what redelivery does, for Prometheus (<c>bodycam_messaging_*</c>).</summary>
public sealed class RedeliveryMetrics
{
    private readonly Counter<long> _delayed;
    private readonly Counter<long> _deadLettered;

    public RedeliveryMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("BodyCam.Messaging");
        _delayed = meter.CreateCounter<long>("bodycam.messaging.redelivery_delayed", description: "Messages parked in a delay queue after failing, to come back later");
        _deadLettered = meter.CreateCounter<long>("bodycam.messaging.dead_lettered", description: "Messages sent to an error queue: poison, or still failing when redelivery gave up");
    }

    public void Delayed(string queue) => _delayed.Add(1, new KeyValuePair<string, object?>("queue", queue));

    public void DeadLettered(string queue, string reason) =>
        _deadLettered.Add(1, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("reason", reason));
}
