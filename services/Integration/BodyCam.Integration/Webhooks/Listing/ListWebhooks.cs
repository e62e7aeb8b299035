using System.Security.Claims;
using BodyCam.Integration.Webhooks.Delivering;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Integration.Webhooks.Listing;

/// <summary>
/// <c>GET /api/integrations/webhooks</c> and <c>/{id}</c>: a client's own subscriptions (an admin sees
/// all), each with how its deliveries stand and the last error, so a client can see why.
/// </summary>
public static class ListWebhooks
{
    public static RouteGroupBuilder MapListWebhooks(this RouteGroupBuilder webhooks)
    {
        webhooks.MapGet("/", async (HttpContext http, IQuerySession session, CancellationToken cancellationToken) =>
            {
                var owner = http.User.ActorId();
                var admin = http.User.IsInRole(Roles.Admin);
                var subscriptions = await session.Query<WebhookSubscription>()
                    .Where(s => s.Active && (admin || s.OwnerId == owner))
                    .OrderBy(s => s.CreatedAt).ToListAsync(cancellationToken);
                var views = new List<WebhookView>();
                foreach (var s in subscriptions)
                {
                    views.Add(WebhookView.Of(s, await CountsAsync(session, s.Id, cancellationToken)));
                }

                return TypedResults.Ok(views);
            })
            .RequireRoles(Roles.Cad, Roles.Admin)
            .WithName("ListWebhooks")
            .WithSummary("Your webhook subscriptions with their delivery counts (an admin sees all).");

        webhooks.MapGet("/{subscriptionId}", async Task<Results<Ok<WebhookView>, ProblemHttpResult>> (
                string subscriptionId, HttpContext http, IQuerySession session, CancellationToken cancellationToken) =>
            {
                var subscription = await OwnedAsync(session, subscriptionId, http.User, cancellationToken);
                return subscription is null
                    ? NotFound(subscriptionId)
                    : TypedResults.Ok(WebhookView.Of(subscription, await CountsAsync(session, subscription.Id, cancellationToken)));
            })
            .RequireRoles(Roles.Cad, Roles.Admin)
            .WithName("GetWebhook")
            .WithSummary("One subscription with its delivery counts and last error.");
        return webhooks;
    }

    /// <summary>The caller's active subscription, or any for an admin; null when there is none they may see.</summary>
    public static async Task<WebhookSubscription?> OwnedAsync(IQuerySession session, string subscriptionId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var subscription = await session.LoadAsync<WebhookSubscription>(subscriptionId, cancellationToken);
        return subscription is { Active: true } && (subscription.OwnerId == user.ActorId() || user.IsInRole(Roles.Admin)) ? subscription : null;
    }

    public static ProblemHttpResult NotFound(string subscriptionId) => Problem.NotFound($"You have no webhook subscription '{subscriptionId}'.");

    private static async Task<DeliveryCounts> CountsAsync(IQuerySession session, string subscriptionId, CancellationToken cancellationToken)
    {
        var pending = await session.Query<Delivery>().CountAsync(d => d.SubscriptionId == subscriptionId && d.State == Delivery.PendingState, cancellationToken);
        var delivered = await session.Query<Delivery>().CountAsync(d => d.SubscriptionId == subscriptionId && d.State == Delivery.DeliveredState, cancellationToken);
        var dead = await session.Query<Delivery>().CountAsync(d => d.SubscriptionId == subscriptionId && d.State == Delivery.DeadLetteredState, cancellationToken);
        var failing = await session.Query<Delivery>()
            .Where(d => d.SubscriptionId == subscriptionId && d.LastError != null).OrderByDescending(d => d.Seq).FirstOrDefaultAsync(cancellationToken);
        var last = await session.Query<Delivery>()
            .Where(d => d.SubscriptionId == subscriptionId && d.State == Delivery.DeliveredState).OrderByDescending(d => d.Seq).FirstOrDefaultAsync(cancellationToken);
        return new DeliveryCounts(pending, delivered, dead, failing?.LastError, last?.DeliveredAt);
    }
}
