using BodyCam.Authorisation.Policy;
using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Security;

namespace BodyCam.Authorisation.Grants;

/// <summary>Who acts on a grant, and in which roles: what the decisions need of the caller's token.</summary>
public sealed record Actor(string Id, IReadOnlyCollection<string> Roles)
{
    public bool Is(string role) => Roles.Contains(role);

    public static Actor From(System.Security.Claims.ClaimsPrincipal user) => new(user.ActorId(), user.RoleNames());
}

/// <summary>When and under which correlation a decision is taken.</summary>
public readonly record struct Moment(DateTimeOffset Now, Guid CorrelationId);

/// <summary>
/// Why a decision refused: the endpoint answers it as problem details, and puts a
/// <see cref="Forbidden"/> on the access record as a refusal.
/// </summary>
public abstract record Refusal(string Detail)
{
    public sealed record Invalid(string Field, string Detail) : Refusal(Detail);

    public sealed record NotFound(string Detail) : Refusal(Detail);

    /// <summary>Refused to this caller; <paramref name="Record"/> is what the access record says.</summary>
    public sealed record Forbidden(string Detail, string Record) : Refusal(Detail);

    public sealed record Conflict(string Detail) : Refusal(Detail);
}

/// <summary>A decision's outcome: the event to append, or why not.</summary>
public readonly record struct Decided<TEvent>(TEvent? Event, Refusal? Refusal)
    where TEvent : class
{
    public static implicit operator Decided<TEvent>(TEvent decided) => new(decided, null);

    public static implicit operator Decided<TEvent>(Refusal refused) => new(null, refused);
}

/// <summary>
/// What may be done to a grant, as pure functions of the grant, the command and the moment: each
/// returns the event to append or the refusal. The endpoints load, decide, append and answer from
/// <see cref="ViewGrant"/>'s <c>Apply</c>; nothing here reads a clock or a database.
/// </summary>
public static class GrantDecisions
{
    public const int MaxReasonLength = 1000;

    /// <summary>
    /// A request to watch as the policy decided it (<see cref="PolicyRules.Decide"/>): granted for the
    /// decided length from now, pending a second person, or denied; every one is a stream of its own.
    /// </summary>
    public static ViewRequestDecided Request(
        string requestId, Decision decision, Viewer viewer, ViewAsk ask, string policyVersion, string? cameraId, string? wearerId, string? wearerCommand,
        string? clientAddress, Moment at) => new(
            RequestId: requestId,
            Decision: decision.Outcome.ToString().ToLowerInvariant(),
            CameraId: cameraId,
            OfficerId: wearerId,
            ViewerId: viewer.ViewerId,
            ViewerRole: viewer.Role,
            Purpose: ask.Purpose,
            Reason: ask.Reason,
            IncidentRef: ask.IncidentRef,
            PolicyVersion: policyVersion,
            Rule: decision.Rule,
            Explanation: decision.Explanation,
            ExpiresAt: decision.Outcome == Outcome.Granted ? at.Now + decision.Length : null,
            GrantSeconds: (int)decision.Length.TotalSeconds,
            ApproverRole: decision.ApproverRole,
            ClientAddress: clientAddress,
            ActorId: viewer.ViewerId,
            OccurredAt: at.Now,
            CorrelationId: at.CorrelationId,
            ViewerCommand: viewer.Command,
            WearerCommand: wearerCommand);

    /// <summary>The viewer, a supervisor or compliance ends a live grant now, saying why.</summary>
    public static Decided<GrantRevoked> Revoke(ViewGrant? grant, string grantId, string? reason, Actor actor, Moment at)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength)
        {
            return new Refusal.Invalid("reason", $"Say why the grant is revoked (1 to {MaxReasonLength} characters).");
        }

        if (grant is null)
        {
            return new Refusal.NotFound($"No grant '{grantId}'.");
        }

        if (grant.ViewerId != actor.Id && !actor.Is(Roles.Supervisor) && !actor.Is(Roles.Compliance))
        {
            return new Refusal.Forbidden("Only the viewer, a supervisor or compliance may revoke this grant.",
                $"Only the viewer, a supervisor or compliance may revoke grant {grantId}.");
        }

        if (grant.State != GrantState.Active)
        {
            return new Refusal.Conflict($"Grant '{grantId}' is {grant.State.Name()}, not active.");
        }

        return new GrantRevoked(grantId, grant.CameraId!, grant.WearerId, grant.ViewerId, reason.Trim(), actor.Id, at.Now, at.CorrelationId);
    }

    /// <summary>The viewer renews their live grant, saying why, for as long as the policy lets their role.</summary>
    public static Decided<GrantExtended> Extend(ViewGrant? grant, string grantId, string? reason, ViewPolicy policy, Actor actor, Moment at)
    {
        if (reason is null || reason.Trim().Length < policy.MinReasonLength)
        {
            return new Refusal.Invalid("reason", $"Say why the grant should go on, in at least {policy.MinReasonLength} characters.");
        }

        if (reason.Length > MaxReasonLength)
        {
            return new Refusal.Invalid("reason", $"A reason is at most {MaxReasonLength} characters.");
        }

        if (grant is null)
        {
            return new Refusal.NotFound($"No grant '{grantId}'.");
        }

        if (grant.ViewerId != actor.Id)
        {
            return new Refusal.Forbidden("Only the viewer may extend their grant.", $"Only the viewer may extend grant {grantId}.");
        }

        if (!grant.IsLive(at.Now))
        {
            return new Refusal.Conflict($"Grant '{grantId}' is {grant.State.Name()}: ask to watch again.");
        }

        var maximum = policy.MaxGrantSeconds.TryGetValue(grant.ViewerRole, out var max) ? max : policy.DefaultGrantSeconds;
        var expires = at.Now.AddSeconds(Math.Min(grant.GrantSeconds, maximum));
        return new GrantExtended(grantId, grant.CameraId!, grant.WearerId, grant.ViewerId, reason.Trim(), expires, actor.Id, at.Now, at.CorrelationId);
    }

    /// <summary>The second person (a supervisor who is not the requester) approves or refuses a pending request.</summary>
    public static Decided<object> Decide(ViewGrant? grant, string requestId, bool approve, string? note, Actor actor, Moment at)
    {
        if (note is { Length: > MaxReasonLength })
        {
            return new Refusal.Invalid("note", $"A note is at most {MaxReasonLength} characters.");
        }

        if (grant is null)
        {
            return new Refusal.NotFound($"No view request '{requestId}'.");
        }

        if (grant.State != GrantState.Pending)
        {
            return new Refusal.Conflict($"View request '{requestId}' is {grant.State.Name()}, not pending.");
        }

        if (actor.Id == grant.ViewerId)
        {
            return new Refusal.Forbidden("The second person cannot be the requester.", $"The requester may not decide their own view request {requestId}.");
        }

        return approve
            ? new ViewRequestApproved(requestId, grant.CameraId!, grant.WearerId, grant.ViewerId, grant.ViewerRole, grant.Purpose, grant.IncidentRef, note,
                at.Now.AddSeconds(grant.GrantSeconds), actor.Id, at.Now, at.CorrelationId)
            : new ViewRequestRefused(requestId, grant.CameraId!, grant.WearerId, grant.ViewerId, grant.Purpose, grant.IncidentRef, note,
                actor.Id, at.Now, at.CorrelationId);
    }

    /// <summary>A live grant whose time has passed ends; any other grant is left as it is (null).</summary>
    public static GrantExpired? Expire(ViewGrant grant, Moment at) =>
        grant.State == GrantState.Active && grant.ExpiresAt <= at.Now
            ? new GrantExpired(grant.GrantId, grant.CameraId!, grant.WearerId, grant.ViewerId, "authorisation", at.Now, at.CorrelationId)
            : null;
}
