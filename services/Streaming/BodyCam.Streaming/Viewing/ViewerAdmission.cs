using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Cameras;
using BodyCam.Streaming.Grants;
using BodyCam.Streaming.Live;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Viewing;

/// <summary>
/// The check at the door for every viewer request (WebSocket or LL-HLS), failing closed: a valid
/// stream token for this camera, a grant streaming knows to be live (asking authorisation when it has
/// not heard of the grant yet), a camera that records, and no other session on the same grant. A
/// refusal of a token that proves who holds it is recorded one by one; tokens that prove nothing
/// (none, forged, expired) are counted per source and recorded once a window.
/// </summary>
public sealed class ViewerAdmission(
    StreamTokenVerifier verifier, GrantBook grants, CameraBook cameras, GrantChecker checker, LiveStreams streams,
    AccessRefusals refusals, UnverifiedRefusals unverified, IConfiguration configuration, TimeProvider time)
{
    /// <summary>The WebSocket subprotocol a browser offers beside its token (<c>bodycam.token.&lt;token&gt;</c>); the server echoes it.</summary>
    public const string Subprotocol = "bodycam.live";

    public const string TokenSubprotocolPrefix = "bodycam.token.";

    private int SessionsPerGrant => configuration.GetValue("Streaming:SessionsPerGrant", 1);

    /// <summary>The header a caller of the API (an instruction, a bookmark) presents the grant's stream token in, beside their own bearer token.</summary>
    public const string StreamTokenHeader = "Stream-Token";

    /// <summary>A viewer's player at the door: the stream token as <see cref="TokenOf"/> finds it, and a camera that records.</summary>
    public Task<(ViewerPass? Pass, ProblemHttpResult? Refusal)> AdmitAsync(HttpContext http, string cameraId) =>
        AdmitAsync(http, cameraId, TokenOf(http.Request), requireRecording: true);

    /// <summary>
    /// A signed-in caller acting on a grant they hold (an instruction, a bookmark, talk): the grant's
    /// stream token in the <see cref="StreamTokenHeader"/> header, a grant that is live, and a token
    /// that is the caller's own (a copied stream token does not speak for someone else). The camera
    /// need not be recording at that moment.
    /// </summary>
    public async Task<(ViewerPass? Pass, ProblemHttpResult? Refusal)> HolderAsync(HttpContext http, string cameraId)
    {
        var token = http.Request.Headers[StreamTokenHeader].ToString();
        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, StreamingProblems.Of(StatusCodes.Status403Forbidden, StreamingProblems.StreamTokenRequired, "A stream token is required",
                $"Only a viewer holding a live grant for camera '{cameraId}' may do this: present the grant's stream token in the '{StreamTokenHeader}' header."));
        }

        var (pass, refusal) = await AdmitAsync(http, cameraId, token.Trim(), requireRecording: false);
        if (refusal?.ProblemDetails is { Status: StatusCodes.Status401Unauthorized } unauthorised)
        {
            // The caller is signed in (their bearer token); the stream token is what they lack: forbidden, not unauthenticated.
            return (null, StreamingProblems.Of(StatusCodes.Status403Forbidden, unauthorised.Type!, unauthorised.Title!, unauthorised.Detail!));
        }

        if (pass is not null && pass.ViewerId != http.User.ActorId())
        {
            return await RefuseAsync(http, http.User.ActorId(), StatusCodes.Status403Forbidden, ServiceDefaults.Problems.ProblemTypes.Forbidden, "Forbidden",
                $"The stream token is {pass.ViewerId}'s grant, not the caller's.");
        }

        return (pass, refusal);
    }

    /// <summary>A viewer opening a talk with the wearer: the stream token as for watching; the camera need not be recording.</summary>
    public Task<(ViewerPass? Pass, ProblemHttpResult? Refusal)> TalkerAsync(HttpContext http, string cameraId) =>
        AdmitAsync(http, cameraId, TokenOf(http.Request), requireRecording: false);

    private async Task<(ViewerPass? Pass, ProblemHttpResult? Refusal)> AdmitAsync(HttpContext http, string cameraId, string? token, bool requireRecording)
    {
        if (token is null)
        {
            unverified.Count(http, "No stream token was presented.", null);
            return (null, StreamingProblems.Of(StatusCodes.Status401Unauthorized, StreamingProblems.StreamTokenRequired, "A stream token is required",
                "Ask authorisation for a view (POST /api/authorisation/view-requests) and present its stream token: as the WebSocket subprotocol "
                + $"'{TokenSubprotocolPrefix}<token>' beside '{Subprotocol}', as a bearer token, or as access_token."));
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
            unverified.Count(http, refusal!, RequestActor.ClaimedSubject(token));
            return (null, StreamingProblems.Of(StatusCodes.Status401Unauthorized, StreamingProblems.StreamTokenInvalid, "The stream token is not valid", refusal!));
        }

        var viewerId = verified.Subject;
        var grantId = verified.TryGetClaim("grant_id", out var g) ? g.Value : "";
        var tokenCamera = verified.TryGetClaim("camera_id", out var c) ? c.Value : "";
        var purpose = verified.TryGetClaim("purpose", out var p) ? p.Value : "";
        var incidentRef = verified.TryGetClaim("incident_ref", out var i) ? i.Value : null;
        if (tokenCamera != cameraId)
        {
            return await RefuseAsync(http, viewerId, StatusCodes.Status403Forbidden, ServiceDefaults.Problems.ProblemTypes.Forbidden, "Forbidden",
                $"The stream token is for camera '{tokenCamera}', not '{cameraId}'.");
        }

        var grant = grants.Find(grantId);
        var camera = cameras.Find(cameraId);
        CheckedGrant? checkedGrant = null;
        if (grant is null || camera?.Recording is null)
        {
            // Streaming has not heard of this grant (or of the camera's recording) yet: the facts may be
            // on their way. It asks authorisation rather than assume either way.
            try
            {
                checkedGrant = await checker.CheckAsync(grantId, token, http.RequestAborted);
            }
            catch (GrantUncheckableException)
            {
                return (null, ServiceDefaults.Problems.Problem.Unavailable("Streaming could not confirm this grant with authorisation; try again shortly."));
            }

            if (checkedGrant is null || checkedGrant.CameraId != cameraId || checkedGrant.ViewerId != viewerId)
            {
                return await RefuseAsync(http, viewerId, StatusCodes.Status403Forbidden, StreamingProblems.GrantEnded, "No such grant",
                    $"Authorisation knows no grant '{grantId}' of this viewer for camera '{cameraId}'.");
            }

            // What authorisation said is kept, so the next request on this grant (an LL-HLS player asks
            // for its playlist several times a second) need not ask again; a later fact replaces it.
            grants.Remember(checkedGrant.Live
                ? new GrantFact(grantId, cameraId, ExtendedUntil: checkedGrant.ExpiresAt)
                : new GrantFact(grantId, cameraId, EndedBecause: checkedGrant.State == "revoked" ? EndReasons.GrantRevoked : EndReasons.GrantExpired,
                    EndDetail: $"The grant is {checkedGrant.State}."));
            grant = grants.Find(grantId);
        }

        if (grant?.EndedBecause is { } ended)
        {
            return await RefuseAsync(http, viewerId, StatusCodes.Status403Forbidden, StreamingProblems.GrantEnded, "The grant has ended",
                $"Grant '{grantId}' has ended ({ended}){(grant.EndDetail is { } detail ? $": {detail}" : ".")}");
        }

        var recording = camera?.Recording ?? checkedGrant?.CameraRecording ?? false;
        if (requireRecording && !recording)
        {
            return await RefuseAsync(http, viewerId, StatusCodes.Status403Forbidden, StreamingProblems.CameraNotRecording, "Not recording",
                $"Camera '{cameraId}' is not recording; only a recording camera may be watched.");
        }

        var expires = new DateTimeOffset(verified.ValidTo, TimeSpan.Zero);
        foreach (var later in new[] { grant?.ExtendedUntil, checkedGrant?.ExpiresAt })
        {
            if (later is { } until && until > expires)
            {
                expires = until;
            }
        }

        if (expires <= time.GetUtcNow())
        {
            // Within the clock skew a token still validates, but its grant is over: nothing opens.
            return await RefuseAsync(http, viewerId, StatusCodes.Status401Unauthorized, StreamingProblems.StreamTokenInvalid, "The stream token is not valid",
                "The grant behind this stream token has expired.");
        }

        return (new ViewerPass(viewerId, grantId, cameraId, purpose, expires, incidentRef), null);
    }

    /// <summary>
    /// A stream token opens one session at a time (<c>Streaming:SessionsPerGrant</c>): a copied token
    /// cannot watch beside its viewer. Null when another may start; otherwise the refusal, on the record.
    /// </summary>
    public async Task<ProblemHttpResult?> CheckConcurrencyAsync(HttpContext http, ViewerPass pass, ViewerSession? except = null)
    {
        // Sessions opened before this one (their ids are time-ordered): two racing at once cannot both
        // see the other first and both give way.
        var open = streams.SessionsOnGrant(pass.GrantId)
            .Count(s => s != except && s.EndReason is null && (except is null || string.CompareOrdinal(s.SessionId, except.SessionId) < 0));
        if (open < SessionsPerGrant)
        {
            return null;
        }

        return (await RefuseAsync(http, pass.ViewerId, StatusCodes.Status409Conflict, StreamingProblems.SessionInUse, "Already watching on this grant",
            $"Grant '{pass.GrantId}' already has {open} open session(s); a stream token opens {SessionsPerGrant} at a time. Close the other first.")).Refusal;
    }

    private async Task<(ViewerPass? Pass, ProblemHttpResult Refusal)> RefuseAsync(HttpContext http, string viewerId, int status, string type, string title, string why)
    {
        await refusals.RecordAsync(http, why, viewerId, http.RequestAborted);
        return (null, StreamingProblems.Of(status, type, title, why));
    }

    /// <summary>
    /// The stream token, from the WebSocket subprotocol <c>bodycam.token.&lt;token&gt;</c> (how a browser
    /// keeps it out of the URL), a bearer header (other clients), or <c>access_token</c> (kept for
    /// older clients; the token then appears in the URL, which streaming never logs).
    /// </summary>
    public static string? TokenOf(HttpRequest request)
    {
        foreach (var offered in request.Headers.SecWebSocketProtocol)
        {
            foreach (var protocol in (offered ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (protocol.StartsWith(TokenSubprotocolPrefix, StringComparison.Ordinal) && protocol.Length > TokenSubprotocolPrefix.Length)
                {
                    return protocol[TokenSubprotocolPrefix.Length..];
                }
            }
        }

        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return request.Query.TryGetValue("access_token", out var query) && !string.IsNullOrWhiteSpace(query) ? query.ToString() : null;
    }
}
