using BodyCam.Contracts.Cameras;
using BodyCam.Ingest.Cameras;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BodyCam.Ingest.Tests;

/// <summary>
/// Every decision on a camera, given its state and a command: the events it appends (none when
/// nothing changes) and the camera after <c>Apply</c>. Time is a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class CameraDecisionsTests
{
    private static readonly Guid Correlation = Guid.NewGuid();
    private static readonly Shift Day = new("officer1", "B12", "B");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero));

    private Change By(string actor) => new(actor, _time.GetUtcNow(), Correlation);

    private Camera Registered() => new("camera/CAM-1", "CAM-1", "SN-1", "BWV-9", "device-CAM-1", _time.GetUtcNow(), null, false, null, _time.GetUtcNow());

    [Fact]
    public void A_docked_camera_is_issued_for_a_shift()
    {
        var camera = Registered();
        _time.Advance(TimeSpan.FromMinutes(5));

        var events = CameraDecisions.Assign(camera, Day, By("supervisor1"));

        Assert.Equal([new CameraAssigned("CAM-1", "officer1", "B12", "B", "supervisor1", _time.GetUtcNow(), Correlation)], events);
        Assert.Equal(new Assignment("officer1", "B12", "B", _time.GetUtcNow()), camera.After(events).Assignment);
    }

    [Fact]
    public void The_same_shift_again_changes_nothing_and_keeps_its_start()
    {
        var since = _time.GetUtcNow();
        var camera = Registered().After(CameraDecisions.Assign(Registered(), Day, By("supervisor1")));
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Empty(CameraDecisions.Assign(camera, Day, By("admin")));
        Assert.Equal(since, camera.After([]).Assignment!.Since);
    }

    [Fact]
    public void Another_officers_shift_docks_the_camera_first()
    {
        var camera = Registered().After(CameraDecisions.Assign(Registered(), Day, By("supervisor1")));
        _time.Advance(TimeSpan.FromHours(8));

        var events = CameraDecisions.Assign(camera, new Shift("officer2", "B14", "B"), By("supervisor1"));

        Assert.Equal(2, events.Count);
        Assert.Equal("officer1", Assert.IsType<CameraDocked>(events[0]).OfficerId);
        Assert.Equal("officer2", Assert.IsType<CameraAssigned>(events[1]).OfficerId);
        Assert.Equal("officer2", camera.After(events).Assignment!.OfficerId);
    }

    [Fact]
    public void A_changed_callsign_is_a_new_assignment()
    {
        var camera = Registered().After(CameraDecisions.Assign(Registered(), Day, By("supervisor1")));
        Assert.Equal(2, CameraDecisions.Assign(camera, Day with { Callsign = "B99" }, By("supervisor1")).Count);
    }

    [Fact]
    public void Docking_ends_the_assignment_once()
    {
        var camera = Registered().After(CameraDecisions.Assign(Registered(), Day, By("supervisor1")));

        var docked = camera.After(CameraDecisions.Dock(camera, By("supervisor1")));

        Assert.Null(docked.Assignment);
        Assert.Empty(CameraDecisions.Dock(docked, By("supervisor1")));
    }

    [Fact]
    public void Recording_starts_and_stops_with_the_wearer_on_the_fact()
    {
        var camera = Registered().After(CameraDecisions.Assign(Registered(), Day, By("supervisor1")));
        _time.Advance(TimeSpan.FromMinutes(1));

        var started = CameraDecisions.ReportRecording(camera, recording: true, By("device-CAM-1"));
        var recording = camera.After(started);
        Assert.Equal("officer1", Assert.IsType<RecordingStarted>(Assert.Single(started)).OfficerId);
        Assert.Equal((true, _time.GetUtcNow()), (recording.Recording, recording.RecordingSince));

        _time.Advance(TimeSpan.FromMinutes(3));
        var stopped = recording.After(CameraDecisions.ReportRecording(recording, recording: false, By("device-CAM-1")));
        Assert.Equal((false, null, _time.GetUtcNow()), (stopped.Recording, stopped.RecordingSince, stopped.RecordingChangedAt));
    }

    [Fact]
    public void A_repeated_or_late_report_changes_nothing()
    {
        var camera = Registered();
        _time.Advance(TimeSpan.FromMinutes(2));
        var recording = camera.After(CameraDecisions.ReportRecording(camera, true, By("device-CAM-1")));

        Assert.Empty(CameraDecisions.ReportRecording(recording, true, By("device-CAM-1")));
        // A "stopped" the camera sent before it started, arriving after: older than the last change.
        Assert.Empty(CameraDecisions.ReportRecording(recording, false, By("device-CAM-1") with { At = _time.GetUtcNow().AddSeconds(-30) }));
        Assert.Single(CameraDecisions.ReportRecording(recording, false, By("device-CAM-1")));
    }

    [Fact]
    public void A_watch_me_stays_open_until_acknowledged_and_only_an_open_one_is_acknowledged()
    {
        var camera = Registered().After(CameraDecisions.Assign(Registered(), Day, By("supervisor1")));
        Assert.Null(CameraDecisions.AcknowledgeWatchMe(camera, null, By("control1")));

        var requested = CameraDecisions.RequestWatchMe(camera, "  Crowd gathering  ", By("device-CAM-1"));
        Assert.Equal(("officer1", "Crowd gathering"), (requested.OfficerId, requested.Note));
        var open = camera.After([requested]);
        Assert.Equal(_time.GetUtcNow(), open.WatchMeSince);

        _time.Advance(TimeSpan.FromSeconds(20));
        var acknowledged = CameraDecisions.AcknowledgeWatchMe(open, "On our way", By("control1"))!;
        Assert.Equal(("control1", _time.GetUtcNow()), (acknowledged.ActorId, acknowledged.OccurredAt));
        Assert.Null(open.After([acknowledged]).WatchMeSince);
        Assert.Null(CameraDecisions.AcknowledgeWatchMe(open.After([acknowledged]), null, By("control1")));
    }

    [Fact]
    public void A_camera_changes_only_on_its_own_events()
    {
        Assert.Throws<ArgumentException>(() => Registered().After([new object()]));
    }
}
