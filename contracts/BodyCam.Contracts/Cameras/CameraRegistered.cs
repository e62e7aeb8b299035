namespace BodyCam.Contracts.Cameras;

/// <summary>A camera joined the force's device registry and was given its own client credentials.</summary>
public sealed record CameraRegistered(
    string CameraId,
    string Serial,
    string Model,
    string ClientId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
