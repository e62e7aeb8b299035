using NetTopologySuite.Geometries;

namespace BodyCam.Integration.Facts;

/// <summary>
/// What integration knows of a camera from the facts it hears: who wears it, whether it records or
/// is live, where it last was and which operations' areas it is in.
/// </summary>
public sealed record CameraState(
    string Id,
    string? OfficerId = null,
    string? Callsign = null,
    string? Command = null,
    bool Recording = false,
    bool Live = false,
    double? Lat = null,
    double? Lon = null,
    DateTimeOffset? PositionAt = null,
    DateTimeOffset? PositionSentAt = null,
    IReadOnlyList<OperationArea>? InOperations = null)
{
    public IReadOnlyList<OperationArea> Operations => InOperations ?? [];

    /// <summary>The camera's part of every event about it: never a token, never who is watching.</summary>
    public object Describe() => new
    {
        cameraId = Id,
        officerId = OfficerId,
        callsign = Callsign,
        command = Command,
        recording = Recording,
        live = Live,
        position = Lat is null || Lon is null ? null : new { lat = Lat, lon = Lon, at = PositionAt },
        operations = Operations.Select(o => new { operationId = o.Id, name = o.Name, incidentRef = o.IncidentRef }),
    };
}

/// <summary>An operation's area as integration keeps it, to tell which cameras are in it.</summary>
public sealed record OperationArea(string Id, string Name, string Kind, IReadOnlyList<double[]> Ring, string? IncidentRef)
{
    private static readonly GeometryFactory Geometry = new(new PrecisionModel(), 4326);
    private Polygon? _area;

    /// <summary>
    /// Whether the position is in the area: the polygon of the ring of [lon, lat] positions covers it
    /// (a point on the boundary is in), by NetTopologySuite, as location decides it for the map.
    /// </summary>
    public bool Contains(double lat, double lon)
    {
        _area ??= Geometry.CreatePolygon([.. Ring.Select(p => new Coordinate(p[0], p[1]))]);
        return _area.Covers(Geometry.CreatePoint(new Coordinate(lon, lat)));
    }

    public (double Lat, double Lon) Centre() => (Ring.Take(Ring.Count - 1).Average(p => p[1]), Ring.Take(Ring.Count - 1).Average(p => p[0]));
}
