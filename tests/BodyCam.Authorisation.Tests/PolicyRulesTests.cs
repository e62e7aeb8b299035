using BodyCam.Authorisation.Policy;
using Xunit;

namespace BodyCam.Authorisation.Tests;

/// <summary>Every rule of the shipped policy, allowed and refused, with its explanation.</summary>
public sealed class PolicyRulesTests
{
    private static readonly ViewPolicy Policy = PolicyStore.Load(Path.Combine(RepositoryRoot(), "services", "Authorisation", "BodyCam.Authorisation", "Policy", "view-policy.json"));

    private static readonly Viewer OfficerB = new("officer1", "officer", "B", "officer1");
    private static readonly Viewer OfficerC = new("officer3", "officer", "C", "officer3");
    private static readonly Viewer Supervisor = new("supervisor1", "supervisor", "B", "supervisor1");
    private static readonly Viewer ControlRoom = new("control1", "control-room", null, null);
    private static readonly Viewer Compliance = new("compliance1", "compliance", null, null);
    private static readonly Viewer Admin = new("admin", "admin", null, null);
    private static readonly CameraState RecordingB = new("CAM-1", "officer2", "B", true);
    private static readonly CameraState IdleB = new("CAM-1", "officer2", "B", false);
    private static readonly CameraState OwnCamera = new("CAM-2", "officer1", "B", true);
    private const string Reason = "Colleague alone at a disturbance";

    public static TheoryData<string, Viewer, CameraState, ViewAsk, Outcome, string, string> Cases => new()
    {
        { "an officer checks a colleague in their command", OfficerB, RecordingB, new("officer-safety", Reason, null, null), Outcome.Granted, "purpose-allowed", "officer may watch" },
        { "an officer checks on a colleague's welfare", OfficerB, RecordingB, new("welfare", Reason, null, null), Outcome.Granted, "purpose-allowed", "welfare" },
        { "the control room answers a Watch Me", ControlRoom, RecordingB, new("watch-me-response", Reason, null, null), Outcome.Granted, "purpose-allowed", "control-room" },
        { "a supervisor commands an incident", Supervisor, RecordingB, new("incident-command", Reason, "INC-7", null), Outcome.Granted, "purpose-allowed", "incident-command" },
        { "use-of-force review is ruled out", Supervisor, RecordingB, new("use-of-force-review", Reason, "INC-7", null), Outcome.Denied, "excluded-purpose", "use of force" },
        { "stop and search review is ruled out", ControlRoom, RecordingB, new("stop-and-search-review", Reason, null, null), Outcome.Denied, "excluded-purpose", "stop and search" },
        { "performance monitoring is ruled out", Supervisor, RecordingB, new("performance-monitoring", Reason, null, null), Outcome.Denied, "excluded-purpose", "performance" },
        { "a purpose not on the list", Supervisor, RecordingB, new("curiosity", Reason, null, null), Outcome.Denied, "unknown-purpose", "officer-safety" },
        { "compliance never watches live", Compliance, RecordingB, new("officer-safety", Reason, null, null), Outcome.Denied, "compliance-never-watches", "never watch live" },
        { "an admin is not a role that watches", Admin, RecordingB, new("officer-safety", Reason, null, null), Outcome.Denied, "purpose-not-for-role", "admin" },
        { "an officer may not command an incident", OfficerB, RecordingB, new("incident-command", Reason, "INC-7", null), Outcome.Denied, "purpose-not-for-role", "incident-command" },
        { "a reason that says nothing", OfficerB, RecordingB, new("officer-safety", "checking", null, null), Outcome.Denied, "reason-required", "15 characters" },
        { "a blank reason", OfficerB, RecordingB, new("officer-safety", "                    ", null, null), Outcome.Denied, "reason-required", "reason" },
        { "incident command without the incident", Supervisor, RecordingB, new("incident-command", Reason, null, null), Outcome.Denied, "incident-ref-required", "incident reference" },
        { "watching one's own camera", OfficerB, OwnCamera, new("officer-safety", Reason, null, null), Outcome.Denied, "own-camera", "own camera" },
        { "a camera that is not recording", Supervisor, IdleB, new("officer-safety", Reason, null, null), Outcome.Denied, "camera-not-recording", "not recording" },
        { "an officer from another command", OfficerC, RecordingB, new("officer-safety", Reason, null, null), Outcome.Denied, "outside-own-command", "own command" },
        { "evidence advice needs a second person", ControlRoom, RecordingB, new("evidence-advice", Reason, "INC-7", null), Outcome.Pending, "two-person-rule", "supervisor's approval" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides_each_case_by_its_rule_and_explains_it(string why, Viewer viewer, CameraState camera, ViewAsk ask, Outcome outcome, string rule, string explained)
    {
        var decision = PolicyRules.Decide(Policy, viewer, camera, ask);

        Assert.True(outcome == decision.Outcome, $"{why}: {decision.Outcome} by {decision.Rule}");
        Assert.Equal(rule, decision.Rule);
        Assert.Contains(explained, decision.Explanation, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("officer", null, 600)]
    [InlineData("officer", 60, 60)]
    [InlineData("officer", 7200, 600)]
    [InlineData("supervisor", 7200, 1800)]
    [InlineData("control-room", null, 600)]
    public void A_grant_lasts_what_was_asked_up_to_the_roles_maximum(string role, int? asked, int seconds)
    {
        var viewer = new Viewer("v", role, "B", null);

        var decision = PolicyRules.Decide(Policy, viewer, RecordingB, new ViewAsk("officer-safety", Reason, null, asked));

        Assert.Equal(Outcome.Granted, decision.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(seconds), decision.Length);
    }

    [Fact]
    public void A_token_holding_compliance_beside_other_roles_never_watches_live()
    {
        var both = new Viewer("dual1", "control-room", null, null, ["control-room", "compliance"]);
        var complianceFirst = new Viewer("dual2", "compliance", "B", "dual2", ["compliance", "supervisor"]);

        Assert.Equal("compliance-never-watches", PolicyRules.Decide(Policy, both, RecordingB, new("watch-me-response", Reason, null, null)).Rule);
        Assert.Equal("compliance-never-watches", PolicyRules.Decide(Policy, complianceFirst, RecordingB, new("incident-command", Reason, "INC-7", null)).Rule);
    }

    [Fact]
    public void A_viewer_with_several_roles_acts_in_the_first_the_purpose_is_for()
    {
        var officerAndSupervisor = new Viewer("dual3", "officer", "B", "dual3", ["officer", "supervisor"]);

        var decision = PolicyRules.Decide(Policy, officerAndSupervisor, RecordingB, new("incident-command", Reason, "INC-7", null));

        Assert.Equal(Outcome.Granted, decision.Outcome);
    }

    [Fact]
    public void A_command_marked_for_approval_sends_every_request_for_its_cameras_to_a_supervisor()
    {
        var strict = Policy with { ApprovalRequiredForCommands = ["B"] };

        var decision = PolicyRules.Decide(strict, ControlRoom, RecordingB, new ViewAsk("officer-safety", Reason, null, null));

        Assert.Equal(Outcome.Pending, decision.Outcome);
        Assert.Equal("supervisor", decision.ApproverRole);
    }

    [Fact]
    public void The_version_is_the_hash_of_the_file_and_changes_with_it()
    {
        var directory = Directory.CreateTempSubdirectory();
        var file = Path.Combine(directory.FullName, "view-policy.json");
        var original = File.ReadAllText(Path.Combine(RepositoryRoot(), "services", "Authorisation", "BodyCam.Authorisation", "Policy", "view-policy.json"));
        File.WriteAllText(file, original);
        var first = PolicyStore.Load(file).Version;

        File.WriteAllText(file, original.Replace("\"minReasonLength\": 15", "\"minReasonLength\": 20", StringComparison.Ordinal));
        var second = PolicyStore.Load(file);

        Assert.Equal(Policy.Version, first);
        Assert.NotEqual(first, second.Version);
        Assert.Equal(20, second.MinReasonLength);
        directory.Delete(true);
    }

    [Fact]
    public void A_policy_file_without_its_rules_is_refused()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{"description":"empty"}""");

        Assert.Throws<InvalidDataException>(() => PolicyStore.Load(file));
        File.Delete(file);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BodyCam.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("BodyCam.sln");
    }
}
