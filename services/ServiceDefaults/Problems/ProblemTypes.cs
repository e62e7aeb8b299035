namespace BodyCam.ServiceDefaults.Problems;

/// <summary>
/// The stable <c>type</c> of every RFC 9457 problem BodyCam answers with. Clients branch on these,
/// never on the wording of <c>title</c> or <c>detail</c>.
/// </summary>
public static class ProblemTypes
{
    private const string Prefix = "urn:bodycam:problem:";

    public const string InvalidRequest = Prefix + "invalid-request";
    public const string Unauthenticated = Prefix + "unauthenticated";
    public const string Forbidden = Prefix + "forbidden";
    public const string NotFound = Prefix + "not-found";
    public const string MethodNotAllowed = Prefix + "method-not-allowed";
    public const string Conflict = Prefix + "conflict";
    public const string PayloadTooLarge = Prefix + "payload-too-large";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string DependencyUnavailable = Prefix + "dependency-unavailable";
    public const string TooManyRequests = Prefix + "too-many-requests";
    public const string ServerError = Prefix + "server-error";

    /// <summary>The type for a status code when the endpoint itself gave none.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => InvalidRequest,
        401 => Unauthenticated,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => TooManyRequests,
        502 or 503 or 504 => DependencyUnavailable,
        _ => status >= 500 ? ServerError : InvalidRequest,
    };
}
