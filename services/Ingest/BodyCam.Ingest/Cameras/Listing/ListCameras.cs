using BodyCam.Ingest.Telemetry.Reporting;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Ingest.Cameras.Listing;

public sealed record CameraView(
    string CameraId, string Serial, string Model, Assignment? Assignment, bool Recording, DateTimeOffset? RecordingSince,
    DateTimeOffset RegisteredAt, DateTimeOffset LastSeen, DateTimeOffset? WatchMeSince);

/// <summary><c>GET /api/ingest/cameras</c>: every camera, its assignment and when it was last heard from.</summary>
public static class ListCameras
{
    public static RouteHandlerBuilder MapListCameras(this RouteGroupBuilder cameras) =>
        cameras.MapGet("/", HandleAsync)
            .RequireRoles(Roles.Supervisor, Roles.ControlRoom, Roles.Admin)
            .WithName("ListCameras")
            .WithSummary("Every registered camera, its assignment, recording state, an unanswered Watch Me and when it was last seen.");

    private static async Task<IResult> HandleAsync(IQuerySession session, LastSeen lastSeen, CancellationToken cancellationToken)
    {
        var cameras = await session.Query<Camera>().OrderBy(c => c.CameraId).ToListAsync(cancellationToken);
        return TypedResults.Ok(cameras.Select(c => new CameraView(
            c.CameraId, c.Serial, c.Model, c.Assignment, c.Recording, c.RecordingSince, c.RegisteredAt,
            lastSeen.Of(c.CameraId) is { } seen && seen > c.LastEventAt ? seen : c.LastEventAt, c.WatchMeSince)));
    }
}
