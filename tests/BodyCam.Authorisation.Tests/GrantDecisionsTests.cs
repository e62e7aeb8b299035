using BodyCam.Authorisation.Grants;
using BodyCam.Authorisation.Policy;
using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Security;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BodyCam.Authorisation.Tests;

/// <summary>
/// Every decision on a grant, given a state and a command: the event it appends or why it refuses,
/// and the state after <c>Apply</c>. The clock is a <see cref="FakeTimeProvider"/>: time passes when a test says so.
/// </summary>
public sealed class GrantDecisionsTests
{
    private const string GrantId = "g1";
    private static readonly Actor Viewer = new("officer1", [Roles.Officer]);
    private static readonly Actor OtherOfficer = new("officer3", [Roles.Officer]);
    private static readonly Actor Supervisor = new("supervisor1", [Roles.Supervisor]);
    private static readonly Actor Compliance = new("compliance1", [Roles.Compliance]);
    private static readonly Guid Correlation = Guid.NewGuid();

    private static readonly ViewPolicy Policy = new(
        "test", new Dictionary<string, string>(), new Dictionary<string, PurposeRule>(), MinReasonLength: 15, OfficersWithinOwnCommandOnly: true,
        DefaultGrantSeconds: 300, MaxGrantSeconds: new Dictionary<string, int> { ["officer"] = 600 }, ApprovalRequiredForCommands: []);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));

    private Moment Now => new(_time.GetUtcNow(), Correlation);

    private ViewGrant Grant(GrantState state, int grantSeconds = 900) => new(
        ViewGrant.StreamKey(GrantId), GrantId, "CAM-1", "officer2", Viewer.Id, "officer", "officer-safety", "Colleague alone at a disturbance", null,
        state, _time.GetUtcNow(), state == GrantState.Active ? _time.GetUtcNow().AddSeconds(grantSeconds) : null, grantSeconds, "v1", "purpose-allowed",
        state == GrantState.Pending ? Roles.Supervisor : null);

    [Fact]
    public void A_granted_request_runs_for_the_decided_length_from_now_and_a_pending_or_denied_one_has_no_end()
    {
        var viewer = new Viewer("officer1", "officer", "B", "officer1");
        var ask = new ViewAsk("officer-safety", "Colleague alone at a disturbance", "INC-7", null);
        var granted = GrantDecisions.Request("r1", new Decision(Outcome.Granted, "purpose-allowed", "allowed", 201, TimeSpan.FromMinutes(10)), viewer, ask, "v1",
            "CAM-1", "officer2", "B", "10.0.0.9", Now);

        Assert.Equal(("granted", _time.GetUtcNow().AddMinutes(10), 600), (granted.Decision, granted.ExpiresAt, granted.GrantSeconds));
        Assert.Equal(("officer1", "officer", "B", "B", "INC-7", "10.0.0.9"), (granted.ActorId, granted.ViewerRole, granted.ViewerCommand, granted.WearerCommand, granted.IncidentRef, granted.ClientAddress));

        var pending = GrantDecisions.Request("r2", new Decision(Outcome.Pending, "approval-required", "ask", 202, TimeSpan.FromMinutes(10), "supervisor"), viewer, ask, "v1",
            "CAM-1", "officer2", "B", null, Now);
        Assert.Equal(("pending", null, "supervisor"), (pending.Decision, pending.ExpiresAt, pending.ApproverRole));
        Assert.Equal("denied", GrantDecisions.Request("r3", new Decision(Outcome.Denied, "own-camera", "no", 403), viewer, ask, "v1", null, null, null, null, Now).Decision);
    }

    [Fact]
    public void The_viewer_revokes_their_live_grant_and_it_ends_then()
    {
        var grant = Grant(GrantState.Active);
        _time.Advance(TimeSpan.FromSeconds(40));

        var revoked = Assert.IsType<GrantRevoked>(GrantDecisions.Revoke(grant, GrantId, "  Done here  ", Viewer, Now).Event);

        Assert.Equal(new GrantRevoked(GrantId, "CAM-1", "officer2", Viewer.Id, "Done here", Viewer.Id, _time.GetUtcNow(), Correlation), revoked);
        var after = grant.Apply(revoked);
        Assert.Equal((GrantState.Revoked, _time.GetUtcNow(), "Done here"), (after.State, after.EndedAt, after.EndReason));
        Assert.False(after.IsLive(_time.GetUtcNow()));
    }

    [Fact]
    public void A_supervisor_or_compliance_may_revoke_another_viewers_grant()
    {
        Assert.NotNull(GrantDecisions.Revoke(Grant(GrantState.Active), GrantId, "Not a purpose we allow", Supervisor, Now).Event);
        Assert.Equal(Compliance.Id, GrantDecisions.Revoke(Grant(GrantState.Active), GrantId, "Audit finding", Compliance, Now).Event!.ActorId);
    }

    [Fact]
    public void Another_officer_may_not_revoke_and_the_refusal_is_for_the_record()
    {
        var refusal = Assert.IsType<Refusal.Forbidden>(GrantDecisions.Revoke(Grant(GrantState.Active), GrantId, "Because", OtherOfficer, Now).Refusal);
        Assert.Contains(GrantId, refusal.Record);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("   ")]
    public void A_revocation_says_why(string? reason) =>
        Assert.Equal("reason", Assert.IsType<Refusal.Invalid>(GrantDecisions.Revoke(Grant(GrantState.Active), GrantId, reason, Viewer, Now).Refusal).Field);

    [Fact]
    public void A_reason_of_a_thousand_characters_is_the_longest()
    {
        Assert.NotNull(GrantDecisions.Revoke(Grant(GrantState.Active), GrantId, new string('x', 1000), Viewer, Now).Event);
        Assert.IsType<Refusal.Invalid>(GrantDecisions.Revoke(Grant(GrantState.Active), GrantId, new string('x', 1001), Viewer, Now).Refusal);
    }

    [Theory]
    [InlineData(GrantState.Revoked)]
    [InlineData(GrantState.Expired)]
    [InlineData(GrantState.Pending)]
    [InlineData(GrantState.Denied)]
    public void Only_a_live_grant_is_revoked(GrantState state) =>
        Assert.Contains(state.Name(), Assert.IsType<Refusal.Conflict>(GrantDecisions.Revoke(Grant(state), GrantId, "Done", Viewer, Now).Refusal).Detail);

    [Fact]
    public void No_grant_is_not_found_once_the_command_is_valid()
    {
        Assert.IsType<Refusal.NotFound>(GrantDecisions.Revoke(null, GrantId, "Done", Viewer, Now).Refusal);
        Assert.IsType<Refusal.Invalid>(GrantDecisions.Revoke(null, GrantId, "", Viewer, Now).Refusal);
    }

    [Fact]
    public void An_extension_runs_from_now_for_the_grant_length_within_the_role_maximum()
    {
        var grant = Grant(GrantState.Active, grantSeconds: 900);
        _time.Advance(TimeSpan.FromMinutes(4));

        var extended = Assert.IsType<GrantExtended>(GrantDecisions.Extend(grant, GrantId, "Still at the disturbance", Policy, Viewer, Now).Event);

        Assert.Equal(_time.GetUtcNow().AddSeconds(600), extended.ExpiresAt);
        Assert.Equal(extended.ExpiresAt, grant.Apply(extended).ExpiresAt);
        Assert.Equal(GrantState.Active, grant.Apply(extended).State);
    }

    [Fact]
    public void A_role_without_its_own_maximum_gets_the_default()
    {
        var grant = Grant(GrantState.Active) with { ViewerRole = "control-room" };
        Assert.Equal(_time.GetUtcNow().AddSeconds(300), GrantDecisions.Extend(grant, GrantId, "Still at the disturbance", Policy, Viewer, Now).Event!.ExpiresAt);
    }

    [Fact]
    public void An_expired_grant_is_not_extended_even_before_the_expiry_is_recorded()
    {
        var grant = Grant(GrantState.Active, grantSeconds: 60);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.IsType<Refusal.Conflict>(GrantDecisions.Extend(grant, GrantId, "Still at the disturbance", Policy, Viewer, Now).Refusal);
    }

    [Fact]
    public void Only_the_viewer_extends_and_with_a_reason_the_policy_accepts()
    {
        var grant = Grant(GrantState.Active);
        Assert.IsType<Refusal.Forbidden>(GrantDecisions.Extend(grant, GrantId, "Still at the disturbance", Policy, Supervisor, Now).Refusal);
        Assert.IsType<Refusal.Invalid>(GrantDecisions.Extend(grant, GrantId, "short", Policy, Viewer, Now).Refusal);
        Assert.IsType<Refusal.Invalid>(GrantDecisions.Extend(grant, GrantId, "      fifteen     ", Policy, Viewer, Now).Refusal);
        Assert.IsType<Refusal.Invalid>(GrantDecisions.Extend(grant, GrantId, new string('x', 1001), Policy, Viewer, Now).Refusal);
    }

    [Fact]
    public void A_second_person_approves_a_pending_request_and_the_grant_runs_from_then()
    {
        var pending = Grant(GrantState.Pending, grantSeconds: 120);
        _time.Advance(TimeSpan.FromMinutes(3));

        var approved = Assert.IsType<ViewRequestApproved>(GrantDecisions.Decide(pending, GrantId, approve: true, "Go ahead", Supervisor, Now).Event);

        Assert.Equal(_time.GetUtcNow().AddSeconds(120), approved.ExpiresAt);
        var after = pending.After(approved);
        Assert.Equal((GrantState.Active, Supervisor.Id), (after.State, after.DecidedBy));
        Assert.True(after.IsLive(_time.GetUtcNow()));
    }

    [Fact]
    public void A_refused_request_ends_with_the_note()
    {
        var pending = Grant(GrantState.Pending);
        var refused = Assert.IsType<ViewRequestRefused>(GrantDecisions.Decide(pending, GrantId, approve: false, "Not needed", Supervisor, Now).Event);
        var after = pending.After(refused);
        Assert.Equal((GrantState.Refused, "Not needed", _time.GetUtcNow()), (after.State, after.EndReason, after.EndedAt));
    }

    [Fact]
    public void The_requester_is_never_the_second_person_and_a_decided_request_stays_decided()
    {
        Assert.IsType<Refusal.Forbidden>(GrantDecisions.Decide(Grant(GrantState.Pending) with { ViewerId = Supervisor.Id }, GrantId, true, null, Supervisor, Now).Refusal);
        Assert.IsType<Refusal.Conflict>(GrantDecisions.Decide(Grant(GrantState.Active), GrantId, true, null, Supervisor, Now).Refusal);
        Assert.IsType<Refusal.Conflict>(GrantDecisions.Decide(Grant(GrantState.Refused), GrantId, false, null, Supervisor, Now).Refusal);
        Assert.IsType<Refusal.NotFound>(GrantDecisions.Decide(null, GrantId, true, null, Supervisor, Now).Refusal);
        Assert.IsType<Refusal.Invalid>(GrantDecisions.Decide(Grant(GrantState.Pending), GrantId, true, new string('x', 1001), Supervisor, Now).Refusal);
    }

    [Fact]
    public void A_live_grant_expires_when_its_time_has_come_and_not_before()
    {
        var grant = Grant(GrantState.Active, grantSeconds: 60);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(GrantDecisions.Expire(grant, Now));

        _time.Advance(TimeSpan.FromSeconds(1));
        var expired = GrantDecisions.Expire(grant, Now)!;
        Assert.Equal((GrantId, "authorisation", _time.GetUtcNow()), (expired.GrantId, expired.ActorId, expired.OccurredAt));
        Assert.Equal(GrantState.Expired, grant.Apply(expired).State);
        Assert.Null(GrantDecisions.Expire(grant.Apply(expired), Now));
        Assert.Null(GrantDecisions.Expire(Grant(GrantState.Revoked), Now));
    }

    [Fact]
    public void The_states_are_named_as_the_api_and_the_stored_documents_name_them()
    {
        Assert.Equal(["pending", "active", "denied", "refused", "revoked", "expired"], Enum.GetValues<GrantState>().Select(s => s.Name()));
        Assert.All(Enum.GetValues<GrantState>(), s => Assert.Equal($"\"{s.Name()}\"", System.Text.Json.JsonSerializer.Serialize(s)));
        Assert.True(GrantStates.TryParse("revoked", out var revoked) && revoked == GrantState.Revoked);
        Assert.False(GrantStates.TryParse("Revoked", out _));
        Assert.False(GrantStates.TryParse("1", out _));
    }
}
