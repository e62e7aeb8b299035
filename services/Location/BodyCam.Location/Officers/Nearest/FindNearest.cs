using BodyCam.Location.Map;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Location.Officers.Nearest;

/// <summary>
/// <c>GET /api/location/officers/nearest?lat=&amp;lon=&amp;count=&amp;recording=</c>: the officers
/// nearest a point by great-circle distance, nearest first; on the record once per reader and query
/// each quarter hour.
/// </summary>
public static class FindNearest
{
    public const int DefaultCount = 5;
    public const int MaxCount = 100;

    public static RouteHandlerBuilder MapFindNearest(this RouteGroupBuilder officers) =>
        officers.MapGet("/nearest", HandleAsync)
            .RequireRoles(MapReaders.Roles)
            .WithName("FindNearestOfficers")
            .WithSummary("The officers nearest a point, nearest first, with their distance in metres.");

    private static async Task<Results<Ok<List<NearOfficer>>, ValidationProblem>> HandleAsync(
        LiveMap map, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken,
        double? lat, double? lon, int? count = null, bool? recording = null, string? reason = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (lat is not { } latitude || !double.IsFinite(latitude) || latitude is < -90 or > 90)
        {
            errors["lat"] = ["lat is required, from -90 to 90."];
        }

        if (lon is not { } longitude || !double.IsFinite(longitude) || longitude is < -180 or > 180)
        {
            errors["lon"] = ["lon is required, from -180 to 180."];
        }

        if (count is < 1 or > MaxCount)
        {
            errors["count"] = [$"count is from 1 to {MaxCount}."];
        }

        if (errors.Count > 0)
        {
            return Problem.Invalid(errors);
        }

        var nearest = map.Nearest(lat!.Value, lon!.Value, count ?? DefaultCount, recording is null ? null : e => e.Recording == recording);
        await PersonalDataReads.RecordPolledAsync(session, http, "location", "nearest-officers", null, nearest.Count, reason, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(nearest.Select(n => new NearOfficer(
            n.Entry.OfficerId!, n.Entry.CameraId, n.Entry.Callsign, n.Entry.Command, n.Entry.Recording, n.Entry.Live, n.Entry.Viewers,
            n.Entry.BatteryPct, n.Entry.At, n.Entry.Lat!.Value, n.Entry.Lon!.Value, Math.Round(n.DistanceM, 1))).ToList());
    }
}
