using BodyCam.Audit.Monitoring;
using BodyCam.Contracts.Audit;
using Xunit;

namespace BodyCam.Audit.Tests;

/// <summary>One alert per rule, viewer and wearer: its state is the fold of its stream's events.</summary>
public sealed class MisuseAlertTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly string Id = MisuseAlert.IdFor("repeated-viewing", "control1", "officer7", "CAM-7");

    [Fact]
    public void An_alert_counts_its_findings_opens_again_after_an_acknowledgement_and_keeps_its_first_sighting()
    {
        object[] stream =
        [
            new MisuseAlertRaised(Id, "repeated-viewing", 30, "control1", "officer7", "CAM-7", "3 times", "system:audit-monitor", T0, Guid.NewGuid()),
            new MisuseAlertRecurred(Id, "repeated-viewing", 60, 90, 2, "control1", "officer7", "CAM-8", "9 times", "system:audit-monitor", T0.AddMinutes(5), Guid.NewGuid()),
            new MisuseAlertAcknowledged(Id, "repeated-viewing", "control1", "CAM-8", "Crowd at the north gate; agreed", "compliance1", T0.AddMinutes(6), Guid.NewGuid()),
        ];

        var acknowledged = stream.Aggregate((MisuseAlert?)null, MisuseAlert.Fold)!;
        Assert.Equal((MisuseAlert.Acknowledged, 3, 30L, 90L), (acknowledged.State, acknowledged.Count, acknowledged.FirstSeq, acknowledged.Seq));
        Assert.Equal(("CAM-8", "9 times", T0, T0.AddMinutes(5)), (acknowledged.CameraId, acknowledged.Explanation, acknowledged.RaisedAt, acknowledged.LastSeenAt));
        Assert.Equal(("compliance1", "Crowd at the north gate; agreed"), (acknowledged.AcknowledgedBy, acknowledged.Note));

        var reopened = MisuseAlert.Fold(acknowledged,
            new MisuseAlertRaised(Id, "repeated-viewing", 120, "control1", "officer7", "CAM-8", "12 times", "system:audit-monitor", T0.AddHours(1), Guid.NewGuid()))!;
        Assert.Equal((MisuseAlert.Open, 4, 30L, 120L, T0, T0.AddHours(1)), (reopened.State, reopened.Count, reopened.FirstSeq, reopened.Seq, reopened.RaisedAt, reopened.LastSeenAt));
        Assert.Null(reopened.AcknowledgedBy);
        Assert.Null(reopened.Note);
    }

    [Fact]
    public void Events_before_an_alert_is_raised_and_of_other_kinds_change_nothing()
    {
        var orphan = new MisuseAlertRecurred(Id, "repeated-viewing", 1, 2, 2, "control1", "officer7", null, "x", "system:audit-monitor", T0, Guid.NewGuid());
        Assert.Null(MisuseAlert.Fold(null, orphan));
        var raised = MisuseAlert.Create(new MisuseAlertRaised(Id, "repeated-viewing", 3, "control1", "officer7", null, "x", "system:audit-monitor", T0, Guid.NewGuid()));
        Assert.Same(raised, MisuseAlert.Fold(raised, "something else"));
    }

    [Fact]
    public void The_alert_a_finding_belongs_to_depends_on_the_rule_the_viewer_and_the_wearer_only()
    {
        Assert.Equal(Id, MisuseAlert.IdFor("repeated-viewing", "control1", "officer7", "CAM-9"));
        Assert.NotEqual(Id, MisuseAlert.IdFor("repeated-viewing", "control1", "officer8", "CAM-7"));
        Assert.NotEqual(Id, MisuseAlert.IdFor("repeated-viewing", "control2", "officer7", "CAM-7"));
        Assert.NotEqual(Id, MisuseAlert.IdFor("outside-command", "control1", "officer7", "CAM-7"));
        // No officer: the camera is the wearer.
        Assert.NotEqual(MisuseAlert.IdFor("refusal-burst", "control1", null, "CAM-1"), MisuseAlert.IdFor("refusal-burst", "control1", null, "CAM-2"));
        // Safe in a URL path, whatever the ids hold.
        Assert.Matches("^[a-z-]+-[0-9a-f]{16}$", MisuseAlert.IdFor("no-incident-reference", "x/../y", "officer 7", null));
    }
}
