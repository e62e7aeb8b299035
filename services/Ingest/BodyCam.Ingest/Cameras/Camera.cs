using BodyCam.Contracts.Cameras;
using JasperFx.Events;

namespace BodyCam.Ingest.Cameras;

/// <summary>Who a camera is issued to for the current shift.</summary>
public sealed record Assignment(string OfficerId, string Callsign, string Command, DateTimeOffset Since);

/// <summary>A camera as its event stream tells it: registered, assigned or docked, recording or not.</summary>
public sealed record Camera(
    string Id,
    string CameraId,
    string Serial,
    string Model,
    string ClientId,
    DateTimeOffset RegisteredAt,
    Assignment? Assignment,
    bool Recording,
    DateTimeOffset? RecordingSince,
    DateTimeOffset LastEventAt,
    DateTimeOffset? WatchMeSince = null,
    DateTimeOffset? RecordingChangedAt = null)
{
    public static Camera Create(IEvent<CameraRegistered> e) =>
        new(e.StreamKey!, e.Data.CameraId, e.Data.Serial, e.Data.Model, e.Data.ClientId, e.Data.OccurredAt, null, false, null, e.Data.OccurredAt);

    /// <summary>
    /// The camera after <paramref name="events"/>, by the same <c>Apply</c> Marten projects with (not
    /// named Apply, so Marten does not take it for a handler of every event).
    /// </summary>
    public Camera After(IEnumerable<object> events) => events.Aggregate(this, (camera, e) => e switch
    {
        CameraAssigned assigned => camera.Apply(assigned),
        CameraDocked docked => camera.Apply(docked),
        RecordingStarted started => camera.Apply(started),
        RecordingStopped stopped => camera.Apply(stopped),
        WatchMeRequested requested => camera.Apply(requested),
        WatchMeAcknowledged acknowledged => camera.Apply(acknowledged),
        _ => throw new ArgumentException($"A camera does not change on {e.GetType().Name}.", nameof(events)),
    });

    public Camera Apply(CameraAssigned e) =>
        this with { Assignment = new Assignment(e.OfficerId, e.Callsign, e.Command, e.OccurredAt), LastEventAt = e.OccurredAt };

    public Camera Apply(CameraDocked e) => this with { Assignment = null, LastEventAt = e.OccurredAt };

    public Camera Apply(RecordingStarted e) =>
        this with { Recording = true, RecordingSince = e.OccurredAt, RecordingChangedAt = e.OccurredAt, LastEventAt = e.OccurredAt };

    public Camera Apply(RecordingStopped e) =>
        this with { Recording = false, RecordingSince = null, RecordingChangedAt = e.OccurredAt, LastEventAt = e.OccurredAt };

    public Camera Apply(WatchMeRequested e) => this with { WatchMeSince = e.OccurredAt, LastEventAt = e.OccurredAt };

    public Camera Apply(WatchMeAcknowledged e) => this with { WatchMeSince = null, LastEventAt = e.OccurredAt };

    public Camera Apply(CameraCredentialsIssued e) => this;
}
