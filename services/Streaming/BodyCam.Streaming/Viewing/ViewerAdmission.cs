using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Cameras;
using BodyCam.Streaming.Grants;
using BodyCam.Streaming.Live;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Viewing;

/// <summary>
/// The check at the door for every viewer request (WebSocket or LL-HLS): a valid stream token for
/// this camera, a grant not revoked or expired, a camera that is recording. Every refusal of a
/// token that names someone is recorded; a request without a token names nobody and is only answered.
/// </summary>
public sealed class ViewerAdmission(StreamTokenVerifier verifier, GrantBook grants, CameraBook cameras, AccessRefusals refusals, TimeProvider time)
{
    public async Task<(ViewerPass? Pass, ProblemHttpResult? Refusal)> AdmitAsync(HttpContext http, string cameraId)
    {
        var token = TokenOf(http.Request);
        if (token is null)
        {
            return (null, StreamingProblems.Of(StatusCodes.Status401Unauthorized, StreamingProblems.StreamTokenRequired, "A stream token is required",
                "Ask authorisation for a view (POST /api/authorisation/view-requests) and present its stream token as access_token or a bearer token."));
        }

        Microsoft.IdentityModel.JsonWebTokens.JsonWebToken? verified;
        string? refusal;
        try
        {
            (verified, refusal) = await verifier.VerifyAsync(token, http.RequestAborted);
        }
        catch (KeysUnavailableException)
        {
            return (null, StreamingProblems.KeysUnavailable());
        }

        if (verified is null)
        {
            await refusals.RecordAsync(http, refusal!, $"unverified:{RequestActor.ClaimedSubject(token)}", http.RequestAborted);
            return (null, StreamingProblems.Of(StatusCodes.Status401Unauthorized, StreamingProblems.StreamTokenInvalid, "The stream token is not valid", refusal!));
        }

        var viewerId = verified.Subject;
        var grantId = verified.TryGetClaim("grant_id", out var g) ? g.Value : "";
        var tokenCamera = verified.TryGetClaim("camera_id", out var c) ? c.Value : "";
        var purpose = verified.TryGetClaim("purpose", out var p) ? p.Value : "";
        if (tokenCamera != cameraId)
        {
            var why = $"The stream token is for camera '{tokenCamera}', not '{cameraId}'.";
            await refusals.RecordAsync(http, why, viewerId, http.RequestAborted);
            return (null, StreamingProblems.Of(StatusCodes.Status403Forbidden, ServiceDefaults.Problems.ProblemTypes.Forbidden, "Forbidden", why));
        }

        var grant = grants.Find(grantId);
        if (grant?.EndedBecause is { } ended)
        {
            var why = $"Grant '{grantId}' has ended ({ended}){(grant.EndDetail is { } detail ? $": {detail}" : ".")}";
            await refusals.RecordAsync(http, why, viewerId, http.RequestAborted);
            return (null, StreamingProblems.Of(StatusCodes.Status403Forbidden, StreamingProblems.GrantEnded, "The grant has ended", why));
        }

        if (cameras.Find(cameraId) is { Recording: false })
        {
            var why = $"Camera '{cameraId}' is not recording; only a recording camera may be watched.";
            await refusals.RecordAsync(http, why, viewerId, http.RequestAborted);
            return (null, StreamingProblems.Of(StatusCodes.Status409Conflict, StreamingProblems.CameraNotRecording, "Not recording", why));
        }

        var expires = new DateTimeOffset(verified.ValidTo, TimeSpan.Zero);
        if (grant?.ExtendedUntil is { } extended && extended > expires)
        {
            expires = extended;
        }

        if (expires <= time.GetUtcNow())
        {
            // Within the clock skew a token still validates, but its grant is over: nothing opens.
            const string why = "The grant behind this stream token has expired.";
            await refusals.RecordAsync(http, why, viewerId, http.RequestAborted);
            return (null, StreamingProblems.Of(StatusCodes.Status401Unauthorized, StreamingProblems.StreamTokenInvalid, "The stream token is not valid", why));
        }

        return (new ViewerPass(viewerId, grantId, cameraId, purpose, expires), null);
    }

    /// <summary>The stream token from <c>access_token</c> (browsers cannot set WebSocket headers) or a bearer header.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        if (request.Query.TryGetValue("access_token", out var query) && !string.IsNullOrWhiteSpace(query))
        {
            return query.ToString();
        }

        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
