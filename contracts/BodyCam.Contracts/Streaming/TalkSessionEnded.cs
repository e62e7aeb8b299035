namespace BodyCam.Contracts.Streaming;

/// <summary>
/// A talk session ended: how long it ran, how much audio went each way, why it ended, and the
/// SHA-256 (hex) of the recording kept as evidence (<see cref="AudioSha256"/>, null when nothing was said).
/// </summary>
public sealed record TalkSessionEnded(
    string TalkId,
    string CameraId,
    string ViewerId,
    string GrantId,
    string? IncidentRef,
    long DurationMs,
    int FramesFromViewer,
    int FramesFromCamera,
    long AudioBytes,
    string? AudioSha256,
    string Reason,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
