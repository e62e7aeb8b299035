namespace BodyCam.Contracts.Access;

/// <summary>The viewer renewed a live grant, saying why.</summary>
public sealed record GrantExtended(
    string GrantId,
    string CameraId,
    string? OfficerId,
    string ViewerId,
    string Reason,
    DateTimeOffset ExpiresAt,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
