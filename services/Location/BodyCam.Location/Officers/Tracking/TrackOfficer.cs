using System.Text.Json.Serialization;
using BodyCam.Contracts.Records;
using BodyCam.Location.Map;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
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
/// An officer (with no wider role) may read only their own track and their own command's colleagues',
/// and only the last hour of it. Every read is on the record (<see cref="PersonalDataRead"/>): who read
/// whose track, over which window, and how many positions came back.
/// </summary>
public static class TrackOfficer
{
    public static readonly TimeSpan MaxWindow = TimeSpan.FromHours(24);
    public static readonly TimeSpan OfficerWindow = TimeSpan.FromHours(1);
    public const int MaxPoints = 20_000;

    public static RouteHandlerBuilder MapTrackOfficer(this RouteGroupBuilder officers) =>
        officers.MapGet("/{officerId}/track", HandleAsync)
            .RequireRoles(MapReaders.Roles)
            .WithName("TrackOfficer")
            .WithSummary("An officer's positions between two times, as a LineString with times.");

    private static async Task<Results<Ok<TrackFeature>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string officerId, HttpContext http, IDocumentSession session, TrackPoints track, LiveMap map, AccessRefusals refusals, TimeProvider time,
        CancellationToken cancellationToken, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var now = time.GetUtcNow();
        var end = to ?? now;
        var start = from ?? end - TimeSpan.FromHours(1);
        if (start > end)
        {
            return Problem.Invalid("from", "from must not be after to.");
        }

        if (end - start > MaxWindow)
        {
            return Problem.Invalid("to", $"A track covers at most {MaxWindow.TotalHours} hours; ask for several windows.");
        }

        if (OfficerOnly(http.User) && RefuseOfficer(http.User, officerId, start, now, map) is { } why)
        {
            await refusals.RecordAsync(http, why, cancellationToken);
            return Problem.Forbidden(why);
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
        // The read is on the record before the positions leave.
        PersonalDataReads.Record(session, http, "location", "officer-track", officerId, points.Count, null, now,
            FormattableString.Invariant($"from={start:O}&to={end:O}"));
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new TrackFeature(
            positions.Count >= 2 ? new LineStringGeometry(positions) : null,
            new TrackProperties(officerId, start, end, [.. points.Select(p => p.At)], [.. points.Select(p => p.CameraId).Distinct()]),
            positions));
    }

    /// <summary>A token whose only map-reading role is officer.</summary>
    private static bool OfficerOnly(System.Security.Claims.ClaimsPrincipal user) =>
        user.IsInRole(Roles.Officer) && !MapReaders.Roles.Any(r => r != Roles.Officer && user.IsInRole(r));

    private static string? RefuseOfficer(System.Security.Claims.ClaimsPrincipal user, string officerId, DateTimeOffset start, DateTimeOffset now, LiveMap map)
    {
        if (start < now - OfficerWindow)
        {
            return $"An officer may read a track of the last {OfficerWindow.TotalHours:0} hour only.";
        }

        if (user.FindFirst(BodyCamClaims.OfficerId)?.Value == officerId)
        {
            return null;
        }

        var command = user.FindFirst(BodyCamClaims.Command)?.Value;
        var theirs = map.OnMap(e => e.OfficerId == officerId).FirstOrDefault()?.Command;
        return command is not null && theirs == command
            ? null
            : $"An officer may read the tracks of their own command's colleagues only; '{officerId}' is not on the map in command {command ?? "(none)"}.";
    }
}
