using BodyCam.Location.Operations;
using MassTransit;

namespace BodyCam.Location.Map.Sharing;

/// <summary>
/// Changes one location instance made to its live map after storing them, for every other instance
/// to apply to its own. Location's own message, between its instances: not a contract fact (the
/// facts the changes came from are already on the record). Published to one fan-out exchange that
/// only location may write to (its broker user writes <c>location-*</c>).
/// </summary>
[EntityName(Exchange)]
public sealed record MapChanged(string Origin, IReadOnlyList<MapFact> Facts, IReadOnlyList<Operation> OperationsOpened)
{
    public const string Exchange = "location-map-changes";
}

/// <summary>
/// One camera's change as the instance that stored it left its map: each part is optional, and
/// applying one twice, or an older one after a newer (positions and recording changes carry their
/// time), leaves the map as it was.
/// </summary>
public sealed record MapFact(string CameraId)
{
    public AssignmentFacet? Assigned { get; init; }

    /// <summary>The officer whose camera was docked (the map forgets the assignment only if it is still theirs).</summary>
    public string? DockedFrom { get; init; }

    public RecordingFacet? Recording { get; init; }

    public StreamingFacet? Streaming { get; init; }

    public PositionFacet? Position { get; init; }

    public void ApplyTo(LiveMap map)
    {
        if (Assigned is { } a)
        {
            map.Assign(CameraId, a.OfficerId, a.Callsign, a.Command);
        }

        if (DockedFrom is { } officer && map.Entry(CameraId)?.OfficerId == officer)
        {
            map.Dock(CameraId);
        }

        if (Recording is { } r)
        {
            map.Record(CameraId, r.Recording, r.ChangedAt);
        }

        if (Streaming is { } s)
        {
            map.Stream(CameraId, s.Live, s.OpenSessions.Count);
        }

        if (Position is { } p)
        {
            map.Move(CameraId, p);
        }
    }
}
