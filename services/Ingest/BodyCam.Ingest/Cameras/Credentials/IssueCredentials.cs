using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Ingest.Cameras.Credentials;

/// <summary>
/// <c>POST /api/ingest/cameras/{cameraId}/credentials</c>: gives a registered camera a new client
/// secret (a lost or leaked one, or a registration whose credentials could not be issued). The old
/// secret stops working at once.
/// </summary>
public static class IssueCredentials
{
    public static RouteHandlerBuilder MapIssueCredentials(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/credentials", HandleAsync)
            .RequireRoles(Roles.Admin)
            .WithName("IssueCameraCredentials")
            .WithSummary("Issue a camera a new client secret, replacing the old one.");

    private static async Task<Results<Ok<RegisteredCameraCredentials>, ProblemHttpResult>> HandleAsync(
        string cameraId, HttpContext http, IDocumentSession session, DeviceCredentials credentials, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        if (!CameraStream.IsValidId(cameraId) || await session.Events.FetchStreamStateAsync(CameraStream.Key(cameraId), cancellationToken) is null)
        {
            return Problem.NotFound($"No camera '{cameraId}' is registered.");
        }

        try
        {
            var issued = await credentials.IssueAsync(cameraId, http, session, cancellationToken);
            return TypedResults.Ok(new RegisteredCameraCredentials(cameraId, issued.ClientId, issued.ClientSecret));
        }
        catch (HttpRequestException e)
        {
            logs.CreateLogger(nameof(IssueCredentials)).LogError(e, "Could not issue credentials for camera {CameraId}", cameraId);
            return Problem.Unavailable("The identity service could not issue credentials now. Try again.");
        }
    }
}

/// <summary>A camera's client credentials, shown once.</summary>
public sealed record RegisteredCameraCredentials(string CameraId, string ClientId, string ClientSecret);
