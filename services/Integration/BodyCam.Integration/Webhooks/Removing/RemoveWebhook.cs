using BodyCam.Contracts.Integration;
using BodyCam.Integration.Webhooks.Delivering;
using BodyCam.Integration.Webhooks.Listing;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Marten.Patching;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Integration.Webhooks.Removing;

/// <summary><c>DELETE /api/integrations/webhooks/{id}</c>: stop sending; what was still pending is cancelled.</summary>
public static class RemoveWebhook
{
    public static RouteHandlerBuilder MapRemoveWebhook(this RouteGroupBuilder webhooks) =>
        webhooks.MapDelete("/{subscriptionId}", async Task<Results<NoContent, ProblemHttpResult>> (
                string subscriptionId, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken) =>
            {
                var subscription = await ListWebhooks.OwnedAsync(session, subscriptionId, http.User, cancellationToken);
                if (subscription is null)
                {
                    return ListWebhooks.NotFound(subscriptionId);
                }

                var now = time.GetUtcNow();
                session.Store(subscription with { Active = false, RemovedAt = now });
                session.Patch<Delivery>(d => d.SubscriptionId == subscriptionId && d.State == Delivery.PendingState)
                    .Set(d => d.State, Delivery.CancelledState);
                session.Events.Append(WebhookSubscription.StreamKey(subscriptionId),
                    new WebhookRemoved(subscriptionId, subscription.OwnerId, http.User.ActorId(), now, http.CorrelationId()));
                await session.SaveChangesAsync(cancellationToken);
                return TypedResults.NoContent();
            })
            .RequireRoles(Roles.Cad, Roles.Admin)
            .WithName("RemoveWebhook")
            .WithSummary("Remove a subscription; nothing more is sent to it.");
}
