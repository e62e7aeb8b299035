namespace BodyCam.Contracts.Audit;

/// <summary>
/// A misuse rule fired on the access record: <see cref="Rule"/> names it, <see cref="Seq"/> is the
/// audit chain entry that set it off, <see cref="Explanation"/> says why in plain words.
/// </summary>
public sealed record MisuseAlertRaised(
    string AlertId,
    string Rule,
    long Seq,
    string ViewerId,
    string? OfficerId,
    string? CameraId,
    string Explanation,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
