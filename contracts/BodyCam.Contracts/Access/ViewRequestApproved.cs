namespace BodyCam.Contracts.Access;

/// <summary>A supervisor approved a pending request: the grant is live from now (two-person rule).</summary>
public sealed record ViewRequestApproved(
    string RequestId,
    string CameraId,
    string? OfficerId,
    string ViewerId,
    string ViewerRole,
    string Purpose,
    string? IncidentRef,
    string? Note,
    DateTimeOffset ExpiresAt,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
