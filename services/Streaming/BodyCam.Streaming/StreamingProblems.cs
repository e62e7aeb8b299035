using BodyCam.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming;

/// <summary>Streaming's own problem types, beside the shared ones.</summary>
public static class StreamingProblems
{
    private const string Prefix = "urn:bodycam:problem:";

    public const string StreamTokenRequired = Prefix + "stream-token-required";
    public const string StreamTokenInvalid = Prefix + "stream-token-invalid";
    public const string GrantEnded = Prefix + "grant-ended";
    public const string CameraNotRecording = Prefix + "camera-not-recording";
    public const string StreamNotLive = Prefix + "stream-not-live";
    public const string AlreadyLive = Prefix + "already-live";
    public const string WebSocketRequired = Prefix + "websocket-required";
    public const string SessionInUse = Prefix + "session-in-use";
    public const string HlsSessionEnded = Prefix + "hls-session-ended";

    public static ProblemHttpResult Of(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: type);

    public const string MediaRejectedType = Prefix + "media-rejected";

    /// <summary>Every malformed push: one stable type, and the particular fault as <c>reason</c> (<c>media-bad-box</c>…).</summary>
    public static ProblemHttpResult MediaRejected(string reason, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The media could not be taken", type: MediaRejectedType,
            extensions: new Dictionary<string, object?> { ["reason"] = reason });

    public static ProblemHttpResult NotLive(string cameraId) =>
        Of(StatusCodes.Status404NotFound, StreamNotLive, "Not live", $"Camera '{cameraId}' is not streaming now.");

    public static ProblemHttpResult KeysUnavailable() => Problem.Unavailable("The keys that verify stream tokens cannot be fetched from authorisation; try again shortly.");
}
