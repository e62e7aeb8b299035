using System.Text.Json.Serialization;
using BodyCam.Location.Map;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Location.Officers.Tracking;

public sealed record LineStringGeometry(IReadOnlyList<double[]> Coordinates)
{
    [JsonPropertyOrder(-1)]
    public string Type => "LineString";
}

public sealed record TrackProperties(string OfficerId, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<DateTimeOffset> Times, IReadOnlyList<string> CameraIds);

/// <summary>An officer's path. The geometry is null when fewer than two samples fall in the window.</summary>
public sealed record TrackFeature(LineStringGeometry? Geometry, TrackProperties Properties, IReadOnlyList<double[]> Positions)
{
    [JsonPropertyOrder(-1)]
    public string Type => "Feature";
}

/// <summary>
/// <c>GET /api/location/officers/{officerId}/track?from=&amp;to=</c>: where an officer went, as a GeoJSON
/// LineString with the time of each position. The window defaults to the last hour and is at most 24 hours.
/// </summary>
public static class TrackOfficer
{
    public static readonly TimeSpan MaxWindow = TimeSpan.FromHours(24);
    public const int MaxPoints = 20_000;

    public static RouteHandlerBuilder MapTrackOfficer(this RouteGroupBuilder officers) =>
        officers.MapGet("/{officerId}/track", HandleAsync)
            .RequireRoles(MapReaders.Roles)
            .WithName("TrackOfficer")
            .WithSummary("An officer's positions between two times, as a LineString with times.");

    private static async Task<Results<Ok<TrackFeature>, ValidationProblem>> HandleAsync(
        string officerId, IQuerySession session, TrackPoints track, TimeProvider time, CancellationToken cancellationToken, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end - TimeSpan.FromHours(1);
        if (start > end)
        {
            return Problem.Invalid("from", "from must not be after to.");
        }

        if (end - start > MaxWindow)
        {
            return Problem.Invalid("to", $"A track covers at most {MaxWindow.TotalHours} hours; ask for several windows.");
        }

        var periods = await session.Query<AssignmentPeriod>()
            .Where(p => p.OfficerId == officerId && p.Since <= end)
            .ToListAsync(cancellationToken);
        var points = new List<TrackPoint>();
        foreach (var period in periods.Where(p => p.Until is null || p.Until >= start))
        {
            var windowStart = period.Since > start ? period.Since : start;
            var until = period.Until is { } docked && docked < end ? docked : end;
            points.AddRange(await track.BetweenAsync(period.CameraId, windowStart, until, MaxPoints, cancellationToken));
        }

        points = [.. points.OrderBy(p => p.At).Take(MaxPoints)];
        var positions = points.Select(p => new[] { p.Lon, p.Lat }).ToList();
        return TypedResults.Ok(new TrackFeature(
            positions.Count >= 2 ? new LineStringGeometry(positions) : null,
            new TrackProperties(officerId, start, end, [.. points.Select(p => p.At)], [.. points.Select(p => p.CameraId).Distinct()]),
            positions));
    }
}
