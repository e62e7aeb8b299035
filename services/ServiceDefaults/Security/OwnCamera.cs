using BodyCam.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.ServiceDefaults.Security;

/// <summary>
/// A device token speaks only for its own camera. Any other caller, or a device naming another
/// camera, is refused, and the refusal is on the access record.
/// </summary>
public static class OwnCamera
{
    public static bool Is(System.Security.Claims.ClaimsPrincipal user, string cameraId) =>
        user.IsInRole(Roles.Device) && user.FindFirst(BodyCamClaims.CameraId)?.Value == cameraId;

    /// <summary>Null when the caller is <paramref name="cameraId"/>'s own device; otherwise the refusal, recorded.</summary>
    public static async Task<ProblemHttpResult?> RefuseUnlessAsync(HttpContext http, string cameraId, AccessRefusals refusals)
    {
        if (Is(http.User, cameraId))
        {
            return null;
        }

        await refusals.RecordAsync(http, $"A device may speak only for its own camera; this token is not camera '{cameraId}'.", http.RequestAborted);
        return Problem.Forbidden($"This token may not speak for camera '{cameraId}'.");
    }
}
