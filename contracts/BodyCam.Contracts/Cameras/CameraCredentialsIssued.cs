namespace BodyCam.Contracts.Cameras;

/// <summary>
/// A camera's client secret was issued or replaced. The secret itself never leaves the identity
/// service and the admin who asked for it.
/// </summary>
public sealed record CameraCredentialsIssued(
    string CameraId,
    string ClientId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
