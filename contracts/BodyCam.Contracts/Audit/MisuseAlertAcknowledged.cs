namespace BodyCam.Contracts.Audit;

/// <summary>A compliance officer looked into a misuse alert and closed it, saying what they found.</summary>
public sealed record MisuseAlertAcknowledged(
    string AlertId,
    string Rule,
    string ViewerId,
    string? CameraId,
    string Note,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
