using System.Collections.Concurrent;

namespace BodyCam.Ingest.Telemetry.Reporting;

/// <summary>
/// When each camera was last heard from, kept in memory: telemetry is too frequent to write a row
/// per report. After a restart the camera list falls back to each camera's last stored event.
/// </summary>
public sealed class LastSeen
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    public void Saw(string cameraId, DateTimeOffset at) =>
        _seen.AddOrUpdate(cameraId, at, (_, before) => at > before ? at : before);

    public DateTimeOffset? Of(string cameraId) => _seen.TryGetValue(cameraId, out var at) ? at : null;
}
