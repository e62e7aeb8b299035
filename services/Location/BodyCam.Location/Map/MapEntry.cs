namespace BodyCam.Location.Map;

/// <summary>
/// What the live map knows of one camera. It is on the map while it is assigned to an officer and
/// has reported a position.
/// </summary>
public sealed record MapEntry(
    string CameraId,
    string? OfficerId = null,
    string? Callsign = null,
    string? Command = null,
    bool Recording = false,
    DateTimeOffset? RecordingChangedAt = null,
    bool Live = false,
    int Viewers = 0,
    double? Lat = null,
    double? Lon = null,
    DateTimeOffset? At = null,
    double? AccuracyM = null,
    double? HeadingDeg = null,
    double? SpeedMps = null,
    double? BatteryPct = null)
{
    public bool OnMap => OfficerId is not null && Lat is not null && Lon is not null;
}
