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
    string State,
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
    public const string Active = "active";
    public const string Pending = "pending";
    public const string Denied = "denied";
    public const string Refused = "refused";
    public const string Revoked = "revoked";
    public const string Expired = "expired";

    public static string StreamKey(string grantId) => $"grant/{grantId}";

    public static ViewGrant Create(IEvent<ViewRequestDecided> e)
    {
        var d = e.Data;
        var state = d.Decision switch { "granted" => Active, "pending" => Pending, _ => Denied };
        return new ViewGrant(e.StreamKey!, d.RequestId, d.CameraId, d.OfficerId, d.ViewerId, d.ViewerRole, d.Purpose, d.Reason, d.IncidentRef,
            state, d.OccurredAt, d.ExpiresAt, d.GrantSeconds, d.PolicyVersion, d.Rule, d.ApproverRole);
    }

    public ViewGrant Apply(ViewRequestApproved e) => this with { State = Active, ExpiresAt = e.ExpiresAt, DecidedBy = e.ActorId };

    public ViewGrant Apply(ViewRequestRefused e) => this with { State = Refused, DecidedBy = e.ActorId, EndedAt = e.OccurredAt, EndReason = e.Note };

    public ViewGrant Apply(GrantExtended e) => this with { ExpiresAt = e.ExpiresAt };

    public ViewGrant Apply(GrantRevoked e) => this with { State = Revoked, EndedAt = e.OccurredAt, EndReason = e.Reason };

    public ViewGrant Apply(GrantExpired e) => this with { State = Expired, EndedAt = e.OccurredAt, EndReason = "expired" };
}
