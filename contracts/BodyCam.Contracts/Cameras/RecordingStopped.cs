namespace BodyCam.Contracts.Cameras;

/// <summary>A camera stopped recording: live viewers of it are cut off.</summary>
public sealed record RecordingStopped(
    string CameraId,
    string? OfficerId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
