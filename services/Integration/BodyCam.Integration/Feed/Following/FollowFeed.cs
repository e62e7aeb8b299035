using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BodyCam.Integration.Webhooks.Subscribing;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Integration.Feed.Following;

/// <summary>
/// <c>GET /api/integrations/events/stream</c>: the same CloudEvents as the webhooks, as server-sent
/// events for clients that cannot receive webhooks. Each event's SSE id is its place in the feed, so
/// a client that reconnects with <c>Last-Event-ID</c> (or <c>?after=</c>) carries on without a gap.
/// </summary>
public static class FollowFeed
{
    private const int Page = 200;

    public static RouteHandlerBuilder MapFollowFeed(this RouteGroupBuilder events) =>
        events.MapGet("/stream", Results<ServerSentEventsResult<string>, ValidationProblem> (
                HttpContext http, IDocumentStore store, FeedSignal signal, TimeProvider time, CancellationToken cancellationToken,
                string? types = null, string? command = null, string? operationId = null, string? incidentRef = null, long? after = null, string? reason = null) =>
            {
                var errors = new Dictionary<string, string[]>();
                var wanted = (types ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (wanted.FirstOrDefault(t => !EventTypes.All.Contains(t)) is { } unknown)
                {
                    errors["types"] = [$"'{unknown}' is not an event type. Known: {string.Join(", ", EventTypes.All.Order())}."];
                }

                foreach (var (name, value) in new[] { ("command", command), ("operationId", operationId), ("incidentRef", incidentRef) })
                {
                    if (value is not null && !SubscribeWebhook.Token().IsMatch(value))
                    {
                        errors[name] = [$"{name} is 1 to 64 letters, digits, '/', '-' or '_'."];
                    }
                }

                var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
                long from = after ?? 0;
                if (lastEventId.Length > 0 && !long.TryParse(lastEventId, out from))
                {
                    errors["Last-Event-ID"] = ["Last-Event-ID is the id of the last event received (a number)."];
                }

                if (from < 0)
                {
                    errors["after"] = ["after is the id of the last event received, 0 or more."];
                }

                if (errors.Count > 0)
                {
                    return Problem.Invalid(errors);
                }

                var filter = new FeedFilter(wanted, command, operationId, incidentRef);
                return TypedResults.ServerSentEvents(FollowAsync(store, signal, filter, from, time, cancellationToken)
                    .RecordedAsync(store, http, "integration", "event-feed", reason, time, cancellationToken));
            })
            .RequireRoles(Roles.Cad, Roles.ControlRoom, Roles.Admin)
            .WithName("FollowIntegrationFeed")
            .WithSummary("Server-sent events: BodyCam's CloudEvents, resumable with Last-Event-ID.");

    /// <summary>The feed's events after <paramref name="after"/> that match, read as they are stored, with the shared feed's ready and heartbeat.</summary>
    private static async IAsyncEnumerable<SseItem<string>> FollowAsync(
        IDocumentStore store, FeedSignal signal, FeedFilter filter, long after, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One page in hand at most: a slow reader holds the reading back, and loses nothing.
        var matching = Channel.CreateBounded<SseItem<string>>(new BoundedChannelOptions(Page) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = ReadAsync(store, signal, filter, after, matching.Writer, stop.Token);
        try
        {
            await foreach (var item in EventFeeds.FollowAsync(matching.Reader, new SseItem<string>("{}", "ready"), () => new SseItem<string>("{}", "heartbeat"), time, cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await reading;
        }
    }

    /// <summary>Pages through the feed after <paramref name="after"/>, waking when something is stored; ends the channel with whatever stops it.</summary>
    private static async Task ReadAsync(
        IDocumentStore store, FeedSignal signal, FeedFilter filter, long after, ChannelWriter<SseItem<string>> matching, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                IReadOnlyList<FeedItem> page;
                await using (var session = store.QuerySession())
                {
                    page = await session.Query<FeedItem>().Where(i => i.Id > after).OrderBy(i => i.Id).Take(Page).ToListAsync(cancellationToken);
                }

                foreach (var item in page)
                {
                    after = item.Id;
                    if (filter.Matches(item))
                    {
                        await matching.WriteAsync(
                            new SseItem<string>(item.CloudEvent, item.Type) { EventId = item.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                            cancellationToken);
                    }
                }

                if (page.Count < Page)
                {
                    await signal.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            matching.TryComplete();
        }
        catch (Exception e)
        {
            // PostgreSQL gone, say: the feed ends with the error, the client reconnects with Last-Event-ID.
            matching.TryComplete(e);
        }
    }
}
