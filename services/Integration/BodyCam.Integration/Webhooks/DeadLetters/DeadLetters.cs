using BodyCam.Integration.Feed;
using BodyCam.Integration.Webhooks.Delivering;
using BodyCam.Integration.Webhooks.Listing;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Integration.Webhooks.DeadLetters;

public sealed record DeadLetter(long Seq, string EventId, string Type, int Attempts, string? Error, DateTimeOffset? DeadLetteredAt);

public sealed record Replayed(int Count);

/// <summary>
/// <c>GET /api/integrations/webhooks/{id}/dead-letters</c>: what could not be delivered and why;
/// <c>POST …/dead-letters/replay</c>: send it all again, in the feed's order, before anything newer.
/// </summary>
public static class DeadLetters
{
    public const int MaxListed = 1000;

    public static RouteGroupBuilder MapDeadLetters(this RouteGroupBuilder webhooks)
    {
        webhooks.MapGet("/{subscriptionId}/dead-letters", async Task<Results<Ok<List<DeadLetter>>, ProblemHttpResult>> (
                string subscriptionId, HttpContext http, IQuerySession session, CancellationToken cancellationToken) =>
            {
                if (await ListWebhooks.OwnedAsync(session, subscriptionId, http.User, cancellationToken) is null)
                {
                    return ListWebhooks.NotFound(subscriptionId);
                }

                var dead = await session.Query<Delivery>()
                    .Where(d => d.SubscriptionId == subscriptionId && d.State == Delivery.DeadLetteredState)
                    .OrderBy(d => d.Seq).Take(MaxListed).ToListAsync(cancellationToken);
                return TypedResults.Ok(dead.Select(d => new DeadLetter(d.Seq, d.EventId, d.EventType, d.Attempts, d.LastError, d.DeadLetteredAt)).ToList());
            })
            .RequireRoles(Roles.Cad, Roles.Admin)
            .WithName("ListDeadLetters")
            .WithSummary("Deliveries that failed every attempt, oldest first, with the last error.");

        webhooks.MapPost("/{subscriptionId}/dead-letters/replay", async Task<Results<Accepted<Replayed>, ProblemHttpResult>> (
                string subscriptionId, HttpContext http, IDocumentSession session, FeedSignal signal, CancellationToken cancellationToken) =>
            {
                if (await ListWebhooks.OwnedAsync(session, subscriptionId, http.User, cancellationToken) is null)
                {
                    return ListWebhooks.NotFound(subscriptionId);
                }

                var dead = await session.Query<Delivery>()
                    .Where(d => d.SubscriptionId == subscriptionId && d.State == Delivery.DeadLetteredState).ToListAsync(cancellationToken);
                foreach (var d in dead)
                {
                    session.Store(d with { State = Delivery.PendingState, Attempts = 0, DeadLetteredAt = null });
                }

                await session.SaveChangesAsync(cancellationToken);
                signal.Pulse();
                return TypedResults.Accepted($"/api/integrations/webhooks/{subscriptionId}", new Replayed(dead.Count));
            })
            .RequireRoles(Roles.Cad, Roles.Admin)
            .WithName("ReplayDeadLetters")
            .WithSummary("Send every dead-lettered delivery again, in order.");
        return webhooks;
    }
}
