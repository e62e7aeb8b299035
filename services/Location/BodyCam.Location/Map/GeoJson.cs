using System.Text.Json.Serialization;

namespace BodyCam.Location.Map;

/// <summary>
/// The officer properties every map answer carries; <c>operations</c> names the open operations whose
/// area holds the officer's position, as this service decides it (the console filters by it, and never
/// works out an area itself).
/// </summary>
public sealed record OfficerProperties(
    string OfficerId, string CameraId, string? Callsign, string? Command, bool Recording, bool Live, int Viewers,
    double? BatteryPct, DateTimeOffset? At, double? AccuracyM, double? HeadingDeg, double? SpeedMps, IReadOnlyList<string> Operations)
{
    public static OfficerProperties Of(MapEntry e, IReadOnlyList<string> operations) =>
        new(e.OfficerId!, e.CameraId, e.Callsign, e.Command, e.Recording, e.Live, e.Viewers, e.BatteryPct, e.At, e.AccuracyM, e.HeadingDeg, e.SpeedMps, operations);
}

public sealed record PointGeometry(double[] Coordinates)
{
    [JsonPropertyOrder(-1)]
    public string Type => "Point";
}

public sealed record OfficerFeature(string Id, PointGeometry Geometry, OfficerProperties Properties)
{
    [JsonPropertyOrder(-1)]
    public string Type => "Feature";

    /// <summary>The officer's feature, with the operations <paramref name="areas"/> says they are in.</summary>
    public static OfficerFeature Of(MapEntry e, Operations.OperationAreas areas) =>
        new(e.OfficerId!, new PointGeometry([e.Lon!.Value, e.Lat!.Value]), OfficerProperties.Of(e, areas.Holding(e.Lat.Value, e.Lon.Value)));
}

public sealed record OfficerFeatureCollection(IReadOnlyList<OfficerFeature> Features)
{
    [JsonPropertyOrder(-1)]
    public string Type => "FeatureCollection";
}

/// <summary>One of the nearest officers: the map properties, the position and the distance.</summary>
public sealed record NearOfficer(
    string OfficerId, string CameraId, string? Callsign, string? Command, bool Recording, bool Live, int Viewers,
    double? BatteryPct, DateTimeOffset? At, double Lat, double Lon, double DistanceM);

/// <summary>
/// A change on the live map, as the change feed sends it: <c>updated</c> or <c>removed</c>; also
/// <c>ready</c> when the feed starts and <c>heartbeat</c> while nothing changes.
/// </summary>
public sealed record MapChange(
    [property: JsonPropertyName("change")] string Change,
    string? CameraId,
    string? OfficerId,
    OfficerFeature? Feature);
