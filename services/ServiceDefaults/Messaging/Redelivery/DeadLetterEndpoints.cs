using BodyCam.Contracts.Records;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>
/// <c>GET {api}/admin/dead-letters</c> (admin): what waits in the service's error queues, without the
/// messages' content. <c>POST {api}/admin/dead-letters/replay</c> <c>{queue, messageIds?}</c> (admin):
/// sends them (all of a queue, or those named) back to be handled again, once the fault is mended;
/// the replay is a fact on the audit record.
/// </summary>
public static class DeadLetterEndpoints
{
    public sealed record DeadLetterList(IReadOnlyDictionary<string, uint> Counts, IReadOnlyList<DeadLetter> Items);

    public sealed record ReplayRequest(string? Queue = null, IReadOnlyList<string>? MessageIds = null);

    public sealed record ReplayResult(string Queue, int Replayed, IReadOnlyList<DeadLetter> Items);

    public static IEndpointRouteBuilder MapDeadLetters(this IEndpointRouteBuilder app, string api)
    {
        app.MapGet($"{api}/admin/dead-letters", async (RedeliveryBroker broker, DeadLetterWatch watch, CancellationToken cancellationToken, int? limit) =>
            {
                if (limit is < 1 or > 1000)
                {
                    return (IResult)Problem.Invalid("limit", "limit must be between 1 and 1000.");
                }

                await watch.RefreshAsync(cancellationToken);
                return TypedResults.Ok(new DeadLetterList(watch.Counts.ToDictionary(c => ServiceQueues.ErrorQueue(c.Key), c => c.Value),
                    await broker.ListAsync(limit ?? 100, cancellationToken)));
            })
            .RequireRoles(Roles.Admin)
            .WithTags("Operations")
            .WithName("ListErrorQueueMessages")
            .WithSummary("Messages waiting in this service's error queues (type, id, fault; never content).");
        app.MapPost($"{api}/admin/dead-letters/replay", async (ReplayRequest body, HttpContext http, RedeliveryBroker broker, DeadLetterWatch watch, IDocumentSession session,
                ServiceIdentity service, TimeProvider time, CancellationToken cancellationToken) =>
            {
                if (string.IsNullOrWhiteSpace(body.Queue) || !broker.Queues.Contains(body.Queue))
                {
                    return (IResult)Problem.Invalid("queue", $"Name one of this service's queues: {string.Join(", ", broker.Queues.Names)}.");
                }

                if (body.MessageIds is { Count: > 1000 })
                {
                    return Problem.Invalid("messageIds", "Replay at most 1,000 messages by id at a time.");
                }

                var replayed = await broker.ReplayAsync(body.Queue, body.MessageIds?.ToHashSet(StringComparer.Ordinal), 10_000, cancellationToken);
                if (replayed.Count > 0)
                {
                    session.Events.Append($"dead-letters-{service.Name}", new DeadLettersReplayed(service.Name, body.Queue, replayed.Count,
                        [.. replayed.Select(r => r.MessageId ?? "").Take(1000)], http.User.ActorId(), time.GetUtcNow(), http.CorrelationId()));
                    await session.SaveChangesAsync(cancellationToken);
                }

                await watch.RefreshAsync(cancellationToken);
                return TypedResults.Ok(new ReplayResult(body.Queue, replayed.Count, replayed));
            })
            .RequireRoles(Roles.Admin)
            .WithTags("Operations")
            .WithName("ReplayErrorQueueMessages")
            .WithSummary("Send messages from an error queue back to be handled again (all, or by message id).");
        return app;
    }
}
