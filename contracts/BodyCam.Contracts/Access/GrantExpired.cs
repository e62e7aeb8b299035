namespace BodyCam.Contracts.Access;

/// <summary>A grant reached its expiry, raised on time by authorisation: viewers are cut off.</summary>
public sealed record GrantExpired(
    string GrantId,
    string CameraId,
    string? OfficerId,
    string ViewerId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
