namespace BodyCam.Contracts.Streaming;

/// <summary>A viewer with a grant started receiving a camera's live media.</summary>
public sealed record ViewerSessionStarted(
    string SessionId,
    string CameraId,
    string ViewerId,
    string GrantId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
