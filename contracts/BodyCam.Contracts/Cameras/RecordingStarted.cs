namespace BodyCam.Contracts.Cameras;

/// <summary>A camera started recording, at the camera's own clock (<see cref="OccurredAt"/>).</summary>
public sealed record RecordingStarted(
    string CameraId,
    string? OfficerId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
