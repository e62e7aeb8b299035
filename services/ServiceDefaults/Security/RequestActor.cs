using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace BodyCam.ServiceDefaults.Security;

/// <summary>Who is calling, as the events a request causes record it.</summary>
public static class RequestActor
{
    public const string Anonymous = "anonymous";

    public static string ActorId(this ClaimsPrincipal user) =>
        user.FindFirst(BodyCamClaims.Subject)?.Value ?? Anonymous;

    public static IReadOnlyList<string> RoleNames(this ClaimsPrincipal user) =>
        [.. user.FindAll(BodyCamClaims.Role).Select(c => c.Value)];

    /// <summary>
    /// The correlation id of a request: the caller's <c>X-Correlation-Id</c> when it is a GUID,
    /// otherwise the trace id, so an event can be found again from the trace that caused it.
    /// </summary>
    public static Guid CorrelationId(this HttpContext context)
    {
        if (Guid.TryParse(context.Request.Headers["X-Correlation-Id"], out var given))
        {
            return given;
        }

        var traceId = Activity.Current?.TraceId ?? ActivityTraceId.CreateRandom();
        Span<byte> bytes = stackalloc byte[16];
        traceId.CopyTo(bytes);
        return new Guid(bytes, bigEndian: true);
    }

    public static string? ClientAddress(this HttpContext context) =>
        context.Connection.RemoteIpAddress?.ToString();

    /// <summary>
    /// The subject a token claims, read without validating it: for recording who a refused token
    /// named (marked unverified by the caller). "unknown" without one, "unreadable-token" when it is no JWT.
    /// </summary>
    public static string ClaimedSubject(string token)
    {
        try
        {
            return new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Subject ?? "unknown";
        }
        catch (ArgumentException)
        {
            return "unreadable-token";
        }
    }
}
