namespace BodyCam.Contracts.Access;

/// <summary>
/// The policy decided a request to watch a camera live: <see cref="Decision"/> is granted, denied or
/// pending (a second person must approve). Everything a consultation log needs is here: who asked,
/// for which camera and wearer, why (purpose, reason, incident), under which policy version and rule.
/// The viewer's and the wearer's commands (added later, so optional) let audit see watching across commands.
/// </summary>
public sealed record ViewRequestDecided(
    string RequestId,
    string Decision,
    string? CameraId,
    string? OfficerId,
    string ViewerId,
    string ViewerRole,
    string Purpose,
    string Reason,
    string? IncidentRef,
    string PolicyVersion,
    string Rule,
    string Explanation,
    DateTimeOffset? ExpiresAt,
    int GrantSeconds,
    string? ApproverRole,
    string? ClientAddress,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId,
    string? ViewerCommand = null,
    string? WearerCommand = null) : IIntegrationEvent;
