using BodyCam.Audit.Monitoring;
using Xunit;

namespace BodyCam.Audit.Tests;

/// <summary>Each misuse rule fires on its scenario and stays quiet on an ordinary day.</summary>
public sealed class MisuseRulesTests
{
    // 10:00 UK time (GMT in November).
    private static readonly DateTimeOffset Morning = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private long _seq;

    private ViewFact View(ViewKind kind = ViewKind.Granted, DateTimeOffset? at = null, string viewer = "officer1", string? viewerCommand = "B",
        string? officer = "officer2", string? wearerCommand = "B", string purpose = "officer-safety", string? incident = null, TimeSpan? duration = null) =>
        new(++_seq, kind, at ?? Morning, viewer, "officer", viewerCommand, officer, wearerCommand, "CAM-1", purpose, incident, duration);

    /// <summary>An ordinary day: a few views within command, with reasons that fit, at working hours, short sessions.</summary>
    private List<ViewFact> OrdinaryDay() =>
    [
        View(at: Morning.AddHours(-1)),
        View(at: Morning.AddHours(-1).AddMinutes(20), kind: ViewKind.SessionEnded, duration: TimeSpan.FromMinutes(12)),
        View(at: Morning, officer: "officer5", purpose: "resource-deployment", incident: "INC-1"),
        View(at: Morning.AddMinutes(5), kind: ViewKind.Refused, purpose: "use-of-force-review"),
        View(at: Morning.AddHours(2), officer: "officer6", purpose: "welfare", incident: "INC-2"),
        View(at: Morning.AddHours(2).AddMinutes(15), kind: ViewKind.SessionEnded, purpose: "welfare", duration: TimeSpan.FromMinutes(10)),
    ];

    [Fact]
    public void An_ordinary_day_raises_nothing()
    {
        var day = OrdinaryDay();
        for (var i = 0; i < day.Count; i++)
        {
            Assert.Empty(MisuseRules.Check(day[i], day[..i]));
        }
    }

    [Theory]
    [InlineData("resource-deployment", null, true)]
    [InlineData("evidence-advice", "", true)]
    [InlineData("incident-command", "INC-7", false)]
    [InlineData("officer-safety", null, false)]
    [InlineData("watch-me-response", null, false)]
    public void A_view_without_an_incident_reference_outside_officer_safety_is_flagged(string purpose, string? incident, bool flagged)
    {
        var alert = new NoIncidentReference().Check(View(purpose: purpose, incident: incident), []);

        Assert.Equal(flagged, alert is not null);
        if (alert is not null)
        {
            Assert.Equal("no-incident-reference", alert.Rule);
            Assert.Contains(purpose, alert.Explanation);
        }
    }

    [Fact]
    public void Watching_the_same_officer_a_third_time_in_a_day_is_flagged_and_not_before()
    {
        var rule = new RepeatedViewing();
        var first = View(at: Morning);
        var second = View(at: Morning.AddHours(3));
        var third = View(at: Morning.AddHours(20));

        Assert.Null(rule.Check(second, [first]));
        var alert = rule.Check(third, [first, second]);

        Assert.NotNull(alert);
        Assert.Equal("officer2", alert.OfficerId);
        Assert.Contains("3 times in 24 hours", alert.Explanation);
    }

    [Fact]
    public void Three_views_spread_over_more_than_a_day_or_of_different_officers_are_not_flagged()
    {
        var rule = new RepeatedViewing();

        Assert.Null(rule.Check(View(at: Morning.AddHours(30)), [View(at: Morning), View(at: Morning.AddHours(5))]));
        Assert.Null(rule.Check(View(officer: "officer9"), [View(), View(officer: "officer8")]));
    }

    [Theory]
    [InlineData("officer-safety", 31, true)]
    [InlineData("officer-safety", 25, false)]
    [InlineData("welfare", 21, true)]
    [InlineData("incident-command", 120, false)]
    public void A_session_far_longer_than_its_purpose_needs_is_flagged(string purpose, int minutes, bool flagged)
    {
        var alert = new LongSession().Check(View(kind: ViewKind.SessionEnded, purpose: purpose, duration: TimeSpan.FromMinutes(minutes)), []);

        Assert.Equal(flagged, alert is not null);
    }

    [Fact]
    public void A_view_at_an_hour_the_viewer_never_works_is_flagged_once_their_hours_are_known()
    {
        var rule = new OddHours();
        var workingHours = Enumerable.Range(0, 12).Select(d => View(at: Morning.AddDays(-d - 1).AddHours(d % 3))).ToList();
        var threeAm = View(at: new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));

        var alert = rule.Check(threeAm, workingHours);

        Assert.NotNull(alert);
        Assert.Contains("03:00 UK time", alert.Explanation);
        Assert.Null(rule.Check(View(at: Morning.AddHours(1)), workingHours));
        // With too little history the viewer's hours are not known: nothing is raised.
        Assert.Null(rule.Check(threeAm, workingHours[..5]));
    }

    [Fact]
    public void A_burst_of_refused_requests_is_flagged_at_the_fifth()
    {
        var rule = new RefusalBurst();
        var refused = Enumerable.Range(0, 4).Select(i => View(kind: ViewKind.Refused, at: Morning.AddMinutes(i))).ToList();

        Assert.Null(rule.Check(refused[3], refused[..3]));
        Assert.NotNull(rule.Check(View(kind: ViewKind.Refused, at: Morning.AddMinutes(5)), refused));
        // Spread over an hour they are not a burst.
        var spread = Enumerable.Range(0, 4).Select(i => View(kind: ViewKind.Refused, at: Morning.AddMinutes(i * 15))).ToList();
        Assert.Null(rule.Check(View(kind: ViewKind.Refused, at: Morning.AddMinutes(61)), spread));
    }

    [Fact]
    public void Watching_an_officer_outside_ones_command_is_flagged()
    {
        var rule = new OutsideCommand();

        Assert.NotNull(rule.Check(View(viewerCommand: "B", wearerCommand: "C"), []));
        Assert.Null(rule.Check(View(viewerCommand: "B", wearerCommand: "B"), []));
        // Force-wide roles (no command of their own) are not flagged by it.
        Assert.Null(rule.Check(View(viewerCommand: null, wearerCommand: "C"), []));
    }

    [Fact]
    public void Every_rule_has_its_own_id()
    {
        var ids = MisuseRules.All.Select(r => r.Id).ToList();

        Assert.Equal(6, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[a-z-]+$", id));
    }
}
