namespace BodyCam.Contracts.Access;

/// <summary>A grant was ended before its time (by the viewer, a supervisor or compliance): viewers are cut off.</summary>
public sealed record GrantRevoked(
    string GrantId,
    string CameraId,
    string? OfficerId,
    string ViewerId,
    string Reason,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
