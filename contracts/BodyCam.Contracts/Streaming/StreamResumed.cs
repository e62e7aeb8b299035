namespace BodyCam.Contracts.Streaming;

/// <summary>
/// A camera whose push dropped pushed again within the grace and its stream went on: between
/// <paramref name="DroppedAt"/> and <paramref name="ResumedAt"/> nothing reached the live viewers.
/// Whether the camera sent that span back later is <see cref="StreamGapFilled"/>.
/// </summary>
public sealed record StreamResumed(
    string CameraId,
    string LiveId,
    DateTimeOffset DroppedAt,
    DateTimeOffset ResumedAt,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
