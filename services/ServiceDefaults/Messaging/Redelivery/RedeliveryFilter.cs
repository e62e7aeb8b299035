using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>
/// Wraps every consumer: a message whose handling failed after the immediate retries is parked in a
/// delay queue and comes back later (<see cref="DelayedRedeliveryOptions"/>), holding no consumer slot
/// meanwhile; it goes to the error queue only when it can never succeed (<see cref="PoisonMessages.Is"/>) or
/// when <see cref="DelayedRedeliveryOptions.GiveUpAfter"/> has passed since it first failed.
/// </summary>
public sealed class RedeliveryFilter<T>(RedeliveryBroker broker, RedeliveryMetrics metrics, IOptions<DelayedRedeliveryOptions> options, TimeProvider time, ILogger<RedeliveryBroker> log)
    : IFilter<ConsumeContext<T>>
    where T : class
{
    // A batch consumer fails for all its messages at once: each is parked on its own.
    private static readonly bool IsBatch = typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(Batch<>);

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            var messages = IsBatch ? ((System.Collections.IEnumerable)context.Message).Cast<ConsumeContext>().ToList() : [context];
            var now = time.GetUtcNow();
            var parked = messages.Select(m =>
            {
                var queue = m.ReceiveContext.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
                var (redeliveries, firstFailed) = RedeliveryBroker.History(m.ReceiveContext);
                return (Message: m, Queue: queue, Redeliveries: redeliveries, Since: firstFailed ?? now);
            }).ToList();
            var queueName = parked.FirstOrDefault().Queue ?? "";
            if (PoisonMessages.Is(e))
            {
                metrics.DeadLettered(queueName, "poison", messages.Count);
                log.LogError(e, "{MessageType} {MessageId} on {Queue} can never be handled; it goes to {ErrorQueue} for a person to look at",
                    typeof(T).Name, context.MessageId, queueName, ServiceQueues.ErrorQueue(queueName));
                throw;
            }

            if (parked.Any(p => now - p.Since >= options.Value.GiveUpAfter || !broker.Queues.Contains(p.Queue)))
            {
                var oldest = parked.MinBy(p => p.Since);
                metrics.DeadLettered(queueName, "gave-up", messages.Count);
                log.LogError(e, "{MessageType} {MessageId} on {Queue} still fails {Elapsed} after it first failed ({Redeliveries} redeliveries); it goes to {ErrorQueue} for a person to look at",
                    typeof(T).Name, oldest.Message.MessageId, oldest.Queue, now - oldest.Since, oldest.Redeliveries, ServiceQueues.ErrorQueue(oldest.Queue));
                throw;
            }

            foreach (var (message, queue, redeliveries, since) in parked)
            {
                await broker.DelayAsync(message.ReceiveContext, queue, redeliveries + 1, since, e, context.CancellationToken);
                metrics.Delayed(queue);
            }

            // Taken care of: without this MassTransit counts the delivery as consumed by no one and
            // moves a copy to the endpoint's _skipped queue. (A batch's messages are marked by the batch.)
            if (!IsBatch)
            {
                await context.NotifyConsumed(context, TimeSpan.Zero, "bodycam-redelivery");
            }

            var first = parked[0];
            log.LogWarning(e, "{MessageType} {MessageId} on {Queue} failed ({Count} message(s)); it comes back in {Delay} (redelivery {Redelivery}, failing since {Since:u})",
                typeof(T).Name, context.MessageId, first.Queue, parked.Count, options.Value.DelayFor(first.Redeliveries + 1), first.Redeliveries + 1, first.Since);
        }
    }

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

    public void DeadLettered(string queue, string reason, int count = 1) =>
        _deadLettered.Add(count, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("reason", reason));
}
