using BodyCam.Contracts.Cameras;

namespace BodyCam.Ingest.Cameras;

/// <summary>An officer's shift on a camera, as a supervisor issues it.</summary>
public sealed record Shift(string OfficerId, string Callsign, string Command);

/// <summary>Who changes a camera, when, and under which correlation.</summary>
public readonly record struct Change(string ActorId, DateTimeOffset At, Guid CorrelationId);

/// <summary>
/// What may happen to a camera, as pure functions of the camera and the command: each returns the
/// events to append (none when nothing changes). The endpoints load, decide, append and answer from
/// <see cref="Camera"/>'s <c>Apply</c>; nothing here reads a clock or a database.
/// </summary>
public static class CameraDecisions
{
    /// <summary>Issues the camera for a shift: the same shift again changes nothing; another officer's shift docks it first.</summary>
    public static IReadOnlyList<object> Assign(Camera camera, Shift shift, Change change)
    {
        if (camera.Assignment is { } current && current.OfficerId == shift.OfficerId && current.Callsign == shift.Callsign && current.Command == shift.Command)
        {
            return [];
        }

        var assigned = new CameraAssigned(camera.CameraId, shift.OfficerId, shift.Callsign, shift.Command, change.ActorId, change.At, change.CorrelationId);
        return camera.Assignment is { } previous
            ? [new CameraDocked(camera.CameraId, previous.OfficerId, change.ActorId, change.At, change.CorrelationId), assigned]
            : [assigned];
    }

    /// <summary>Ends the camera's assignment; a docked camera stays as it is.</summary>
    public static IReadOnlyList<object> Dock(Camera camera, Change change) =>
        camera.Assignment is { } current ? [new CameraDocked(camera.CameraId, current.OfficerId, change.ActorId, change.At, change.CorrelationId)] : [];

    /// <summary>
    /// The camera started or stopped recording at <see cref="Change.At"/>: a report that repeats the
    /// current state, or is older than the last change, changes nothing (a camera resending is harmless).
    /// </summary>
    public static IReadOnlyList<object> ReportRecording(Camera camera, bool recording, Change change)
    {
        if (camera.Recording == recording || camera.RecordingChangedAt is { } changed && change.At < changed)
        {
            return [];
        }

        var officer = camera.Assignment?.OfficerId;
        return recording
            ? [new RecordingStarted(camera.CameraId, officer, change.ActorId, change.At, change.CorrelationId)]
            : [new RecordingStopped(camera.CameraId, officer, change.ActorId, change.At, change.CorrelationId)];
    }

    /// <summary>The wearer asks the control room to watch: every request is a fact, an open one included.</summary>
    public static WatchMeRequested RequestWatchMe(Camera camera, string? note, Change change) =>
        new(camera.CameraId, camera.Assignment?.OfficerId, note?.Trim(), change.ActorId, change.At, change.CorrelationId);

    /// <summary>The control room or a supervisor acknowledges the open Watch Me; null when none is open.</summary>
    public static WatchMeAcknowledged? AcknowledgeWatchMe(Camera camera, string? note, Change change) =>
        camera.WatchMeSince is null ? null : new(camera.CameraId, camera.Assignment?.OfficerId, note?.Trim(), change.ActorId, change.At, change.CorrelationId);
}
