using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Ingest.Devices;

/// <summary>
/// A device token speaks only for its own camera. Any other caller, or a device naming another
/// camera, is refused, and the refusal is recorded for audit.
/// </summary>
public static class DeviceAccess
{
    public static async Task<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?> RefuseUnlessOwnCameraAsync(HttpContext http, string cameraId, AccessRefusals refusals)
    {
        var own = http.User.IsInRole(Roles.Device) && http.User.FindFirst(BodyCamClaims.CameraId)?.Value == cameraId;
        if (own)
        {
            return null;
        }

        await refusals.RecordAsync(http, $"A device may speak only for its own camera; this token is not camera '{cameraId}'.", http.RequestAborted);
        return Problem.Forbidden($"This token may not speak for camera '{cameraId}'.");
    }

    /// <summary>The camera's current state, or null when no such camera is registered.</summary>
    public static Task<Cameras.Camera?> FindAsync(IQuerySession session, string cameraId, CancellationToken cancellationToken) =>
        Cameras.CameraStream.IsValidId(cameraId)
            ? session.LoadAsync<Cameras.Camera>(Cameras.CameraStream.Key(cameraId), cancellationToken)
            : Task.FromResult<Cameras.Camera?>(null);
}
