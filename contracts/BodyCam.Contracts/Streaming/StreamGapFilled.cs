namespace BodyCam.Contracts.Streaming;

/// <summary>
/// A reconnected camera sent back what it buffered during a drop, and streaming filed it into the
/// stream's rewind buffer in its place (never to live viewers). <paramref name="MissedMs"/> is the
/// media the drop left out by the camera's clock, <paramref name="FilledMs"/> how much of it the
/// rewind buffer now holds, <paramref name="LeftMs"/> the hole that stays.
/// </summary>
public sealed record StreamGapFilled(
    string CameraId,
    string LiveId,
    DateTimeOffset DroppedAt,
    DateTimeOffset ResumedAt,
    long MissedMs,
    long FilledMs,
    long LeftMs,
    int Fragments,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
