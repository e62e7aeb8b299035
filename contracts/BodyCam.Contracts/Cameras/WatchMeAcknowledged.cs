namespace BodyCam.Contracts.Cameras;

/// <summary>The control room acknowledged a Watch Me; the wearer's camera is told.</summary>
public sealed record WatchMeAcknowledged(
    string CameraId,
    string? OfficerId,
    string? Note,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
