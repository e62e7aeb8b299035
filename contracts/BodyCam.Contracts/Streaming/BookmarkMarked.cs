namespace BodyCam.Contracts.Streaming;

/// <summary>
/// A viewer holding a live grant marked a moment of the camera's video for the evidence record.
/// <see cref="Moment"/> is when, on the camera's clock, the marked picture was captured;
/// <see cref="OccurredAt"/> is when the mark was made.
/// </summary>
public sealed record BookmarkMarked(
    string BookmarkId,
    string CameraId,
    string ViewerId,
    string GrantId,
    string? IncidentRef,
    DateTimeOffset Moment,
    string Note,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
