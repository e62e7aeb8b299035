using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Authorisation.Grants.Revoking;

public sealed record RevokeRequest(string? Reason = null);

/// <summary>
/// <c>POST /api/authorisation/grants/{grantId}/revoke</c>: ends a live grant now. The viewer, a
/// supervisor or compliance may; anyone else is refused, and the refusal is recorded. Streaming cuts
/// the viewer off when it hears of it.
/// </summary>
public static class RevokeGrant
{
    public static RouteHandlerBuilder MapRevokeGrant(this RouteGroupBuilder grants) =>
        grants.MapPost("/{grantId}/revoke", HandleAsync)
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Compliance)
            .WithName("RevokeGrant")
            .WithSummary("End a live grant now, saying why.");

    private static async Task<Results<Ok<GrantView>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string grantId, RevokeRequest request, HttpContext http, IDocumentSession session, AccessRefusals refusals, TimeProvider time, CancellationToken cancellationToken)
    {
        var stream = await session.Events.FetchForWriting<ViewGrant>(ViewGrant.StreamKey(grantId), cancellationToken);
        var decided = GrantDecisions.Revoke(stream.Aggregate, grantId, request.Reason, Actor.From(http.User), new(time.GetUtcNow(), http.CorrelationId()));
        if (decided.Event is not { } revoked)
        {
            return await decided.Refusal!.AnswerAsync<Ok<GrantView>>(http, refusals, cancellationToken);
        }

        stream.AppendOne(revoked);
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(GrantView.Of(stream.Aggregate!.Apply(revoked)));
    }
}
