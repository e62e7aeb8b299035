namespace BodyCam.Contracts.Cameras;

/// <summary>The wearer pressed Watch Me: they ask the control room to watch their camera now.</summary>
public sealed record WatchMeRequested(
    string CameraId,
    string? OfficerId,
    string? Note,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
