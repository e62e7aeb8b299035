using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using BodyCam.Contracts.Integration;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults;
using Marten;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using BodyCam.Integration.Webhooks.Targets;
using StandardWebhooks;

namespace BodyCam.Integration.Webhooks.Delivering;

/// <summary>
/// Sends pending deliveries. Each subscription has its own worker that sends its events one at a
/// time in the feed's order (so in order per subject), retrying with exponential backoff (Polly) and
/// a timeout per attempt; an event that fails every attempt is dead-lettered with the reason and the
/// worker moves on. Workers run side by side (bounded), so a slow or dead receiver delays no one else.
/// </summary>
public sealed class WebhookDispatcher(
    IDocumentStore store, IHttpClientFactory clients, FeedSignal signal, WebhookSecrets secrets, TimeProvider time, IConfiguration configuration,
    ILogger<WebhookDispatcher> log, Elections elections)
    : ElectedService(elections, "webhook-dispatch")
{
    public const string Client = "webhooks";
    private readonly ConcurrentDictionary<string, Task> _workers = new();
    private readonly SemaphoreSlim _slots = new(configuration.GetValue("Integration:MaxParallelReceivers", 32));
    private readonly ResiliencePipeline _pipeline = Pipeline(configuration, log);

    protected override async Task RunElectedAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var session = store.QuerySession();
                var owed = await session.Query<Delivery>().Where(d => d.State == Delivery.PendingState)
                    .Select(d => d.SubscriptionId).Distinct().ToListAsync(stoppingToken);
                foreach (var subscriptionId in owed)
                {
                    // Claimed before it starts, released when it ends: one worker per subscription, never a stale claim.
                    var done = new TaskCompletionSource();
                    if (_workers.TryAdd(subscriptionId, done.Task))
                    {
                        _ = Task.Run(async () =>
                        {
                            try
                            {
                                await WorkAsync(subscriptionId, stoppingToken);
                            }
                            finally
                            {
                                _workers.TryRemove(subscriptionId, out _);
                                done.SetResult();
                                signal.Pulse();
                            }
                        }, CancellationToken.None);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Could not look for pending webhook deliveries; trying again");
            }

            await signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
        }
    }

    private async Task WorkAsync(string subscriptionId, CancellationToken stoppingToken)
    {
        await _slots.WaitAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await using var session = store.LightweightSession();
                var subscription = await session.LoadAsync<WebhookSubscription>(subscriptionId, stoppingToken);
                var next = await session.Query<Delivery>()
                    .Where(d => d.SubscriptionId == subscriptionId && d.State == Delivery.PendingState)
                    .OrderBy(d => d.Seq).Take(50).ToListAsync(stoppingToken);
                if (subscription is not { Active: true } || next.Count == 0)
                {
                    return;
                }

                foreach (var delivery in next)
                {
                    var item = await session.LoadAsync<FeedItem>(delivery.Seq, stoppingToken);
                    var outcome = item is null ? new Outcome(false, 0, "The event is no longer in the feed.") : await SendAsync(subscription, item, stoppingToken);
                    await using var write = store.LightweightSession();
                    var now = time.GetUtcNow();
                    var current = await write.LoadAsync<Delivery>(delivery.Id, stoppingToken);
                    if (current?.State != Delivery.PendingState)
                    {
                        continue; // cancelled while it was being sent
                    }

                    if (outcome.Delivered)
                    {
                        write.Store(current with { State = Delivery.DeliveredState, Attempts = current.Attempts + outcome.Attempts, DeliveredAt = now });
                    }
                    else
                    {
                        write.Store(current with
                        {
                            State = Delivery.DeadLetteredState, Attempts = current.Attempts + outcome.Attempts, LastError = outcome.Error, DeadLetteredAt = now,
                        });
                        write.Events.Append(WebhookSubscription.StreamKey(subscriptionId), new WebhookDeliveryDeadLettered(
                            subscriptionId, delivery.Seq, delivery.EventId, delivery.EventType, current.Attempts + outcome.Attempts, outcome.Error ?? "",
                            "integration", now, Guid.NewGuid()));
                        log.LogWarning("Webhook {Subscription} dead-lettered event {Seq} after {Attempts} attempts: {Error}",
                            subscriptionId, delivery.Seq, outcome.Attempts, outcome.Error);
                    }

                    await write.SaveChangesAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            log.LogError(e, "The webhook worker for {Subscription} failed; it starts again at the next look", subscriptionId);
        }
        finally
        {
            _slots.Release();
        }
    }

    private sealed record Outcome(bool Delivered, int Attempts, string? Error);

    /// <summary>One event to one receiver: every attempt freshly signed (id, timestamp, body), as Standard Webhooks says.</summary>
    private async Task<Outcome> SendAsync(WebhookSubscription subscription, FeedItem item, CancellationToken stoppingToken)
    {
        var attempts = 0;
        string? error = null;
        var signer = new StandardWebhook(secrets.Reveal(subscription.Secret));
        var http = clients.CreateClient(Client);
        try
        {
            await _pipeline.ExecuteAsync(async token =>
            {
                attempts++;
                var now = time.GetUtcNow();
                using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
                {
                    Content = new StringContent(item.CloudEvent, Encoding.UTF8),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json") { CharSet = "utf-8" };
                request.Headers.Add("webhook-id", item.EventId);
                request.Headers.Add("webhook-timestamp", now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add("webhook-signature", signer.Sign(item.EventId, now, item.CloudEvent));
                try
                {
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
                    if (!response.IsSuccessStatusCode)
                    {
                        // The status alone: what a receiver says is not echoed back to whoever subscribed it.
                        error = $"The receiver answered {(int)response.StatusCode}.";
                        throw new ReceiverRefused(error);
                    }
                }
                catch (TargetRefusedException e)
                {
                    error = $"The target was refused: {e.Message}";
                    throw;
                }
                catch (HttpRequestException)
                {
                    // Refused, reset or unreachable alike: the difference would map the force's network.
                    error = "The receiver could not be reached.";
                    throw;
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    error = "The receiver did not answer in time.";
                    throw;
                }
            }, stoppingToken);
            return new Outcome(true, attempts, null);
        }
        catch (Exception e) when (e is ReceiverRefused or HttpRequestException or TimeoutRejectedException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
        {
            return new Outcome(false, attempts, error ?? e.Message);
        }
    }

    private static ResiliencePipeline Pipeline(IConfiguration configuration, ILogger log) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ReceiverRefused>().Handle<HttpRequestException>().Handle<TimeoutRejectedException>(),
                MaxRetryAttempts = configuration.GetValue("Integration:Retries", 6),
                Delay = configuration.GetValue("Integration:RetryDelay", TimeSpan.FromSeconds(2)),
                MaxDelay = TimeSpan.FromMinutes(5),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    log.LogInformation("Webhook delivery attempt {Attempt} failed; retrying in {Delay}", args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(configuration.GetValue("Integration:AttemptTimeout", TimeSpan.FromSeconds(10)))
            .Build();

    private sealed class ReceiverRefused(string message) : Exception(message);
}
