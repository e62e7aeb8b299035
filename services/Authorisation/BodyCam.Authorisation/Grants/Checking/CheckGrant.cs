using BodyCam.Authorisation.Cameras;
using BodyCam.Authorisation.Tokens;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Authorisation.Grants.Checking;

/// <summary>A grant as streaming needs it at the door: live or not, until when, and whether its camera records.</summary>
public sealed record GrantStatus(string GrantId, string CameraId, string ViewerId, string State, DateTimeOffset? ExpiresAt, bool CameraRecording);

/// <summary>
/// <c>GET /api/authorisation/grants/{grantId}/status</c>, with the grant's stream token as the bearer:
/// what streaming asks when a viewer presents a token for a grant it has not heard of yet (the facts
/// may still be on their way). The stream token is the credential: whoever holds it may learn its
/// grant's state, nobody else may learn anything.
/// </summary>
public static class CheckGrant
{
    public static RouteHandlerBuilder MapCheckGrant(this RouteGroupBuilder grants) =>
        grants.MapGet("/{grantId}/status", HandleAsync)
            .AllowAnonymous()
            .WithName("CheckGrant")
            .WithSummary("A grant's state, for the holder of its stream token (streaming asks before admitting a viewer of a grant it has not heard of).");

    private static async Task<Results<Ok<GrantStatus>, ProblemHttpResult>> HandleAsync(
        string grantId, HttpContext http, StreamTokens tokens, IQuerySession session, UnverifiedRefusals refusals, CancellationToken cancellationToken)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        var claims = token is null ? null : await tokens.ValidateAsync(token);
        if (claims is not { } named || named.GrantId != grantId)
        {
            refusals.Count(http, "A grant's status was asked without its valid stream token.", token is null ? null : RequestActor.ClaimedSubject(token));
            return Problem.Unauthenticated("Present this grant's stream token as the bearer token.");
        }

        var grant = await session.LoadAsync<ViewGrant>(ViewGrant.StreamKey(grantId), cancellationToken);
        if (grant is null)
        {
            return Problem.NotFound($"No grant '{grantId}'.");
        }

        var camera = grant.CameraId is null ? null : await session.LoadAsync<WatchableCamera>(grant.CameraId, cancellationToken);
        return TypedResults.Ok(new GrantStatus(grantId, grant.CameraId ?? "", grant.ViewerId, grant.State.Name(), grant.ExpiresAt, camera?.Recording == true));
    }
}
