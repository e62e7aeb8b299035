namespace BodyCam.Location.Map;

// The live map is kept in memory and rebuilt at start from these documents. Each fact writes only
// its own facet, so consumers of different facts never overwrite each other's work.

/// <summary>The officer a camera is assigned to now; deleted when the camera is docked.</summary>
public sealed record AssignmentFacet(string Id, string OfficerId, string Callsign, string Command, DateTimeOffset Since);

/// <summary>Whether a camera is recording, as of its latest change.</summary>
public sealed record RecordingFacet(string Id, bool Recording, DateTimeOffset ChangedAt);

/// <summary>A camera's latest position sample.</summary>
public sealed record PositionFacet(
    string Id, DateTimeOffset At, double Lat, double Lon, double? AccuracyM, double? HeadingDeg, double? SpeedMps, double? BatteryPct);

/// <summary>
/// One position sample in a camera's history (a row of <see cref="TrackPoints"/>). Whose track it is
/// follows from the camera's assignment periods: samples can arrive before the assignment that covers them.
/// </summary>
public sealed record TrackPoint(
    string CameraId, DateTimeOffset At, double Lat, double Lon, double? AccuracyM, double? HeadingDeg, double? SpeedMps, double? BatteryPct);

/// <summary>A time during which a camera was an officer's: from its assignment until it was docked.</summary>
public sealed record AssignmentPeriod(string Id, string CameraId, string OfficerId, DateTimeOffset Since, DateTimeOffset? Until)
{
    public static string IdOf(string cameraId, DateTimeOffset since) => $"{cameraId}@{since.UtcTicks}";
}

/// <summary>Whether a camera's media is live in streaming, and the viewer sessions open on it.</summary>
public sealed record StreamingFacet(string Id, bool Live, DateTimeOffset ChangedAt, IReadOnlyList<string> OpenSessions);
