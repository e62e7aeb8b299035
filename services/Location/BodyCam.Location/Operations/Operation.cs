using System.Collections.Concurrent;
using BodyCam.Contracts.Operations;
using JasperFx.Events;
using NetTopologySuite.Geometries;

namespace BodyCam.Location.Operations;

/// <summary>A named area of interest on the map, as its event stream tells it.</summary>
public sealed record Operation(
    string Id, string OperationId, string Name, string Kind, IReadOnlyList<double[]> Area, string? IncidentRef, string OpenedBy, DateTimeOffset OpenedAt)
{
    public static string StreamKey(string operationId) => $"operation/{operationId}";

    public static Operation Create(IEvent<OperationOpened> e) =>
        new(e.StreamKey!, e.Data.OperationId, e.Data.Name, e.Data.Kind, e.Data.Area, e.Data.IncidentRef, e.Data.ActorId, e.Data.OccurredAt);
}

/// <summary>The operations' areas as polygons, kept in memory for the map's filters.</summary>
public sealed class OperationAreas
{
    private static readonly GeometryFactory Geometry = new(new PrecisionModel(), 4326);
    private readonly ConcurrentDictionary<string, (Operation Operation, Polygon Area)> _operations = new(StringComparer.Ordinal);

    public IReadOnlyCollection<Operation> All => [.. _operations.Values.Select(o => o.Operation).OrderBy(o => o.OpenedAt)];

    public static Polygon ToPolygon(IReadOnlyList<double[]> ring) =>
        Geometry.CreatePolygon([.. ring.Select(p => new Coordinate(p[0], p[1]))]);

    public void Add(Operation operation) => _operations[operation.OperationId] = (operation, ToPolygon(operation.Area));

    public (Operation Operation, Polygon Area)? Find(string operationId) =>
        _operations.TryGetValue(operationId, out var found) ? found : null;

    /// <summary>The one rule for "in the area": the polygon covers the point (a point on the boundary is in).</summary>
    public static bool Contains(Polygon area, double lat, double lon) =>
        area.Covers(Geometry.CreatePoint(new Coordinate(lon, lat)));

    /// <summary>The ids of the operations whose area holds the point, oldest first.</summary>
    public IReadOnlyList<string> Holding(double lat, double lon)
    {
        if (_operations.IsEmpty)
        {
            return [];
        }

        var point = Geometry.CreatePoint(new Coordinate(lon, lat));
        return [.. _operations.Values.Where(o => o.Area.Covers(point)).OrderBy(o => o.Operation.OpenedAt).Select(o => o.Operation.OperationId)];
    }
}
