namespace BodyCam.Contracts.Cameras;

/// <summary>A camera's assignment ended (it was docked): its officer leaves the live map.</summary>
public sealed record CameraDocked(
    string CameraId,
    string OfficerId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
