using BodyCam.Contracts.Access;
using JasperFx.Events;

namespace BodyCam.Authorisation.Grants;

/// <summary>
/// A request to watch and, when granted, the grant it became: one Marten stream each (requested
/// and decided, approved or refused, extended, revoked, expired). Denied requests are streams too:
/// every refusal is on the record.
/// </summary>
public sealed record ViewGrant(
    string Id,
    string GrantId,
    string? CameraId,
    string? WearerId,
    string ViewerId,
    string ViewerRole,
    string Purpose,
    string Reason,
    string? IncidentRef,
    GrantState State,
    DateTimeOffset RequestedAt,
    DateTimeOffset? ExpiresAt,
    int GrantSeconds,
    string PolicyVersion,
    string Rule,
    string? ApproverRole,
    string? DecidedBy = null,
    DateTimeOffset? EndedAt = null,
    string? EndReason = null)
{
    public static string StreamKey(string grantId) => $"grant/{grantId}";

    public static ViewGrant Create(IEvent<ViewRequestDecided> e)
    {
        var d = e.Data;
        var state = d.Decision switch { "granted" => GrantState.Active, "pending" => GrantState.Pending, _ => GrantState.Denied };
        return new ViewGrant(e.StreamKey!, d.RequestId, d.CameraId, d.OfficerId, d.ViewerId, d.ViewerRole, d.Purpose, d.Reason, d.IncidentRef,
            state, d.OccurredAt, d.ExpiresAt, d.GrantSeconds, d.PolicyVersion, d.Rule, d.ApproverRole);
    }

    /// <summary>Live at <paramref name="now"/>: granted and not yet expired.</summary>
    public bool IsLive(DateTimeOffset now) => State == GrantState.Active && ExpiresAt > now;

    /// <summary>
    /// The grant after <paramref name="e"/>, by the same <c>Apply</c> Marten projects with: what an endpoint
    /// answers after appending it (not named Apply, so Marten does not take it for a handler of every event).
    /// </summary>
    public ViewGrant After(object e) => e switch
    {
        ViewRequestApproved approved => Apply(approved),
        ViewRequestRefused refused => Apply(refused),
        GrantExtended extended => Apply(extended),
        GrantRevoked revoked => Apply(revoked),
        GrantExpired expired => Apply(expired),
        _ => throw new ArgumentException($"A grant does not change on {e.GetType().Name}.", nameof(e)),
    };

    public ViewGrant Apply(ViewRequestApproved e) => this with { State = GrantState.Active, ExpiresAt = e.ExpiresAt, DecidedBy = e.ActorId };

    public ViewGrant Apply(ViewRequestRefused e) => this with { State = GrantState.Refused, DecidedBy = e.ActorId, EndedAt = e.OccurredAt, EndReason = e.Note };

    public ViewGrant Apply(GrantExtended e) => this with { ExpiresAt = e.ExpiresAt };

    public ViewGrant Apply(GrantRevoked e) => this with { State = GrantState.Revoked, EndedAt = e.OccurredAt, EndReason = e.Reason };

    public ViewGrant Apply(GrantExpired e) => this with { State = GrantState.Expired, EndedAt = e.OccurredAt, EndReason = "expired" };
}
