using BodyCam.Ingest.Devices;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Ingest.Viewers.Listing;

/// <summary>
/// <c>GET /api/ingest/cameras/{cameraId}/viewers</c> (the camera itself, or the officer it is issued
/// to): who may watch this camera now, for what, and until when.
/// </summary>
public static class ListViewers
{
    public static RouteHandlerBuilder MapListViewers(this RouteGroupBuilder cameras) =>
        cameras.MapGet("/{cameraId}/viewers", HandleAsync)
            .RequireRoles(Roles.Device, Roles.Officer)
            .WithName("ListViewers")
            .WithSummary("Who may watch this camera now: the wearer's own view of their viewers.");

    private static async Task<IResult> HandleAsync(
        string cameraId, HttpContext http, IQuerySession session, AccessRefusals refusals, TimeProvider time, CancellationToken cancellationToken)
    {
        var camera = await DeviceAccess.FindAsync(session, cameraId, cancellationToken);
        var isDevice = http.User.IsInRole(Roles.Device) && http.User.FindFirst(BodyCamClaims.CameraId)?.Value == cameraId;
        var isWearer = camera?.Assignment is { } assignment && http.User.FindFirst(BodyCamClaims.OfficerId)?.Value == assignment.OfficerId;
        if (!isDevice && !isWearer)
        {
            await refusals.RecordAsync(http, $"Only camera '{cameraId}' or the officer wearing it may list its viewers.", cancellationToken);
            return Problem.Forbidden("Only the camera or the officer wearing it may list its viewers.");
        }

        var now = time.GetUtcNow();
        var viewers = await session.LoadAsync<CameraViewers>(cameraId, cancellationToken);
        return TypedResults.Ok((viewers?.Viewers ?? []).Where(v => v.Until > now).OrderBy(v => v.Since));
    }
}
