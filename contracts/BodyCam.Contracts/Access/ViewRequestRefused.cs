namespace BodyCam.Contracts.Access;

/// <summary>A supervisor refused a pending request (two-person rule).</summary>
public sealed record ViewRequestRefused(
    string RequestId,
    string CameraId,
    string? OfficerId,
    string ViewerId,
    string Purpose,
    string? IncidentRef,
    string? Note,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
