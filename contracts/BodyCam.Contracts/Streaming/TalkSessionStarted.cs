namespace BodyCam.Contracts.Streaming;

/// <summary>A viewer holding a live grant opened a talk channel to a camera's wearer (push-to-talk audio, both ways).</summary>
public sealed record TalkSessionStarted(
    string TalkId,
    string CameraId,
    string ViewerId,
    string GrantId,
    string? IncidentRef,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
