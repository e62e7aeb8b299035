using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
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
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 1000)
        {
            return Problem.Invalid("reason", "Say why the grant is revoked (1 to 1000 characters).");
        }

        var stream = await session.Events.FetchForWriting<ViewGrant>(ViewGrant.StreamKey(grantId), cancellationToken);
        if (stream.Aggregate is not { } grant)
        {
            return Problem.NotFound($"No grant '{grantId}'.");
        }

        var actor = http.User.ActorId();
        if (grant.ViewerId != actor && !http.User.IsInRole(Roles.Supervisor) && !http.User.IsInRole(Roles.Compliance))
        {
            await refusals.RecordAsync(http, $"Only the viewer, a supervisor or compliance may revoke grant {grantId}.", cancellationToken);
            return Problem.Forbidden("Only the viewer, a supervisor or compliance may revoke this grant.");
        }

        if (grant.State != ViewGrant.Active)
        {
            return Problem.Conflict($"Grant '{grantId}' is {grant.State}, not active.");
        }

        var now = time.GetUtcNow();
        stream.AppendOne(new GrantRevoked(grantId, grant.CameraId!, grant.WearerId, grant.ViewerId, request.Reason.Trim(), actor, now, http.CorrelationId()));
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(GrantView.Of(grant with { State = ViewGrant.Revoked, EndedAt = now, EndReason = request.Reason.Trim() }));
    }
}
