using BodyCam.Authorisation.Policy;
using BodyCam.Authorisation.Tokens;
using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Authorisation.Grants.Extending;

public sealed record ExtendRequest(string? Reason = null);

public sealed record ExtendedGrant(string GrantId, DateTimeOffset ExpiresAt, string StreamToken);

/// <summary>
/// <c>POST /api/authorisation/grants/{grantId}/extend</c> (the viewer): renews a live grant for the
/// length the policy allows the viewer's role, with a reason; a new stream token comes back.
/// </summary>
public static class ExtendGrant
{
    public static RouteHandlerBuilder MapExtendGrant(this RouteGroupBuilder grants) =>
        grants.MapPost("/{grantId}/extend", HandleAsync)
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom)
            .WithName("ExtendGrant")
            .WithSummary("Renew a live grant, saying why; a new stream token comes back.");

    private static async Task<Results<Ok<ExtendedGrant>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string grantId, ExtendRequest request, HttpContext http, IDocumentSession session, PolicyStore policies, StreamTokens tokens,
        AccessRefusals refusals, TimeProvider time, CancellationToken cancellationToken)
    {
        var policy = policies.Current;
        if (request.Reason is null || request.Reason.Trim().Length < policy.MinReasonLength)
        {
            return Problem.Invalid("reason", $"Say why the grant should go on, in at least {policy.MinReasonLength} characters.");
        }

        var stream = await session.Events.FetchForWriting<ViewGrant>(ViewGrant.StreamKey(grantId), cancellationToken);
        if (stream.Aggregate is not { } grant)
        {
            return Problem.NotFound($"No grant '{grantId}'.");
        }

        if (grant.ViewerId != http.User.ActorId())
        {
            await refusals.RecordAsync(http, $"Only the viewer may extend grant {grantId}.", cancellationToken);
            return Problem.Forbidden("Only the viewer may extend their grant.");
        }

        var now = time.GetUtcNow();
        if (grant.State != ViewGrant.Active || grant.ExpiresAt <= now)
        {
            return Problem.Conflict($"Grant '{grantId}' is {grant.State}: ask to watch again.");
        }

        var maximum = policy.MaxGrantSeconds.TryGetValue(grant.ViewerRole, out var max) ? max : policy.DefaultGrantSeconds;
        var expires = now.AddSeconds(Math.Min(grant.GrantSeconds, maximum));
        stream.AppendOne(new GrantExtended(grantId, grant.CameraId!, grant.WearerId, grant.ViewerId, request.Reason.Trim(), expires, http.User.ActorId(), now, http.CorrelationId()));
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new ExtendedGrant(grantId, expires, tokens.Issue(grant with { ExpiresAt = expires }, now)));
    }
}
