namespace BodyCam.Contracts.Telemetry;

/// <summary>
/// A batch of a camera's position samples, as the camera sent it. The camera is the outbox for
/// telemetry: ingest publishes the batch before answering, and a camera that got no answer sends it
/// again, so consumers de-duplicate by (camera, sample time). <see cref="OccurredAt"/> is when
/// ingest received the batch.
/// </summary>
public sealed record TelemetryReported(
    string CameraId,
    IReadOnlyList<TelemetrySample> Samples,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;

/// <summary>One position fix. Latitude and longitude in WGS 84 degrees.</summary>
public sealed record TelemetrySample(
    DateTimeOffset At,
    double Lat,
    double Lon,
    double? AccuracyM,
    double? HeadingDeg,
    double? SpeedMps,
    double? BatteryPct);
