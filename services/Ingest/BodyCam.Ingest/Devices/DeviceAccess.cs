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
    public static Task<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?> RefuseUnlessOwnCameraAsync(HttpContext http, string cameraId, AccessRefusals refusals) =>
        OwnCamera.RefuseUnlessAsync(http, cameraId, refusals);

    /// <summary>
    /// For a device reporting a fact about its own camera, as of <paramref name="at"/>: refuses a token
    /// of another camera (recorded), a time ahead of the clock, and an unknown camera; otherwise opens
    /// the camera's stream for writing.
    /// </summary>
    public static async Task<(JasperFx.Events.IEventStream<Cameras.Camera>? Stream, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Refusal)> OpenOwnCameraAsync(
        HttpContext http, string cameraId, DateTimeOffset at, IDocumentSession session, AccessRefusals refusals, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await RefuseUnlessOwnCameraAsync(http, cameraId, refusals) is { } refused)
        {
            return (null, refused);
        }

        if (at > time.GetUtcNow() + Telemetry.Reporting.ReportTelemetry.MaxClockAhead)
        {
            return (null, TypedResults.Problem("at is in the future: check the camera's clock.", statusCode: StatusCodes.Status400BadRequest,
                title: "The request is not valid", type: ProblemTypes.InvalidRequest));
        }

        var stream = await session.Events.FetchForWriting<Cameras.Camera>(Cameras.CameraStream.Key(cameraId), cancellationToken);
        return stream.Aggregate is null ? (null, Problem.NotFound($"No camera '{cameraId}' is registered.")) : (stream, null);
    }

    /// <summary>The camera's current state, or null when no such camera is registered.</summary>
    public static Task<Cameras.Camera?> FindAsync(IQuerySession session, string cameraId, CancellationToken cancellationToken) =>
        Cameras.CameraStream.IsValidId(cameraId)
            ? session.LoadAsync<Cameras.Camera>(Cameras.CameraStream.Key(cameraId), cancellationToken)
            : Task.FromResult<Cameras.Camera?>(null);
}
