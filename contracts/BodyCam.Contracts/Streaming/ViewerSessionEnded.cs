namespace BodyCam.Contracts.Streaming;

/// <summary>A viewer stopped receiving a camera's live media: how much, for how long, and why it ended.</summary>
public sealed record ViewerSessionEnded(
    string SessionId,
    string CameraId,
    string ViewerId,
    string GrantId,
    long Bytes,
    long DurationMs,
    string Reason,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
