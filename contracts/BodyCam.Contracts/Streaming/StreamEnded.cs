namespace BodyCam.Contracts.Streaming;

/// <summary>A camera's live media stopped reaching streaming (recording stopped, the push ended or failed).</summary>
public sealed record StreamEnded(
    string CameraId,
    string Reason,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
