namespace BodyCam.Contracts.Streaming;

/// <summary>A camera's live media reached streaming: viewers with a grant can now watch it.</summary>
public sealed record StreamWentLive(
    string CameraId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
