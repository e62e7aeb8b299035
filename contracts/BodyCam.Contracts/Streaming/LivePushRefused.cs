namespace BodyCam.Contracts.Streaming;

/// <summary>
/// A camera's push of live media was refused or cut short because of what it sent or when it sent
/// it: not MP4, an absurd box, a truncated body, or a second push while one is live.
/// </summary>
public sealed record LivePushRefused(
    string CameraId,
    string Problem,
    string Detail,
    string? ClientAddress,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
