using BodyCam.Contracts;
using BodyCam.ServiceDefaults.Messaging;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace BodyCam.ServiceDefaults.EventStore;

/// <summary>
/// Publishes every committed integration event to RabbitMQ, in the order of the event store.
/// The message id is the Marten event id, so a page published twice after a crash carries the same
/// ids and consumers drop the repeats. The daemon records progress only after a page is confirmed
/// by the broker: a crash between commit and publish delays a fact, never loses it.
/// </summary>
public sealed class IntegrationEventPublisher(IBus bus, ILogger<IntegrationEventPublisher> log) : SubscriptionBase
{
    // A broker outage must stall the subscription, not fail it: the daemon would otherwise pause it.
    private readonly ResiliencePipeline _untilConfirmed = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(10),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            OnRetry = args =>
            {
                log.LogWarning(args.Outcome.Exception, "Publishing integration events failed (attempt {Attempt}); retrying", args.AttemptNumber + 1);
                return ValueTask.CompletedTask;
            },
        })
        .AddTimeout(TimeSpan.FromSeconds(15))
        .Build();

    public override async Task<IChangeListener> ProcessEventsAsync(
        EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        // Facts about one subject go out in order; different subjects go out side by side.
        var bySubject = page.Events
            .Where(e => e.Data is IIntegrationEvent)
            .GroupBy(e => e.StreamKey ?? e.StreamId.ToString());

        await Task.WhenAll(bySubject.Select(subject => _untilConfirmed.ExecuteAsync(
            async token =>
            {
                foreach (var e in subject)
                {
                    await bus.Publish(e.Data, e.EventType, context =>
                    {
                        context.MessageId = e.Id;
                        context.CorrelationId = ((IIntegrationEvent)e.Data).CorrelationId;
                        context.Headers.Set(IntegrationEventHeaders.Stream, e.StreamKey);
                        context.Headers.Set(IntegrationEventHeaders.Sequence, e.Sequence);
                    }, token);
                }
            },
            cancellationToken).AsTask()));

        return NullChangeListener.Instance;
    }
}
