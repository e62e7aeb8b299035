using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.EndToEnd.Tests.Console;
using BodyCam.Testing;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.Playwright;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Integration;

/// <summary>The live feed for clients that cannot take webhooks, and the incident query CAD puts in front of its operators.</summary>
[Collection(SystemCollection.Name)]
public sealed class FeedAndIncidentTests(BodyCamSystem system)
{
    private static readonly JsonEventFormatter Formatter = new();

    [Fact]
    public async Task The_feed_resumes_after_a_disconnect_from_Last_Event_ID_without_a_gap_or_a_repeat()
    {
        var command = IntegrationApi.NewCommand();
        var query = $"types=uk.police.bodycam.recording.started,uk.police.bodycam.recording.stopped&command={command}";
        using var cad = await system.CadAsync();
        var camera = await system.EnlistAsync(command: command);
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);

        var first = await IntegrationApi.FollowAsync(cad, query);
        await camera.SetRecordingAsync(true, start);
        await camera.SetRecordingAsync(false, start.AddSeconds(10));
        var a = await first.NextEventAsync();
        var b = await first.NextEventAsync();
        await first.DisposeAsync(); // the client goes away

        // While it is gone, two more facts.
        await camera.SetRecordingAsync(true, start.AddSeconds(20));
        await camera.SetRecordingAsync(false, start.AddSeconds(30));

        await using var resumed = await IntegrationApi.FollowAsync(cad, query, lastEventId: b.EventId);
        var c = await resumed.NextEventAsync();
        var d = await resumed.NextEventAsync();

        var events = new[] { a, b, c, d }.Select(e => Formatter.DecodeStructuredModeMessage(System.Text.Encoding.UTF8.GetBytes(e.Data), null, null)).ToList();
        Assert.Equal(["uk.police.bodycam.recording.started", "uk.police.bodycam.recording.stopped", "uk.police.bodycam.recording.started", "uk.police.bodycam.recording.stopped"],
            events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(camera.CameraId, e.Subject));
        Assert.Equal(4, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal([start, start.AddSeconds(10), start.AddSeconds(20), start.AddSeconds(30)], events.Select(e => e.Time!.Value));
        var ids = new[] { a, b, c, d }.Select(e => long.Parse(e.EventId!)).ToList();
        Assert.Equal(ids.Order(), ids);
    }

    [Fact]
    public async Task An_incident_query_lists_recording_officers_nearest_first_with_deep_links_that_open_the_watch_dialog()
    {
        var here = Spot.Random();
        var incident = $"INC-{Guid.NewGuid():N}"[..16];
        var near = await system.RecordingCameraAsync();
        var farther = await system.RecordingCameraAsync();
        var idle = await system.EnlistAsync();
        await near.ReportAtAsync(here.Offset(0.001, 0));
        await farther.ReportAtAsync(here.Offset(0.004, 0));
        await idle.ReportAtAsync(here.Offset(0.0005, 0));
        using var cad = await system.CadAsync();

        var url = FormattableString.Invariant($"api/integrations/incidents/{incident}/cameras?lat={here.Lat}&lon={here.Lon}&count=3");
        var cameras = await Eventually.Async(async () =>
        {
            var list = await cad.GetFromJsonAsync<JsonElement[]>(url);
            return list!.Length >= 2 && list[0].GetProperty("cameraId").GetString() == near.CameraId
                && list[1].GetProperty("cameraId").GetString() == farther.CameraId ? list : null;
        }, what: "the two recording officers, nearest first");
        Assert.DoesNotContain(cameras, c => c.GetProperty("cameraId").GetString() == idle.CameraId);
        Assert.InRange(cameras[0].GetProperty("distanceM").GetDouble(), 100, 125);
        Assert.InRange(cameras[1].GetProperty("distanceM").GetDouble(), 430, 460);
        Assert.Equal(near.OfficerId, cameras[0].GetProperty("officerId").GetString());
        var link = new Uri(cameras[0].GetProperty("watchUrl").GetString()!);
        Assert.Equal($"#watch={near.CameraId}&incident={incident}", link.Fragment);

        // The link opens the console's watch dialog for that camera, the incident filled in, once the
        // operator has signed in; the purpose and reason are still theirs to give.
        await using var browser = await ConsoleBrowser.LaunchAsync(system);
        var control = await browser.SignInAsync("control1", path: link.PathAndQuery.TrimStart('/') + link.Fragment);
        var dialog = control.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog.GetByLabel("Incident reference")).ToHaveValueAsync(incident);
        await Assertions.Expect(dialog.GetByLabel("Purpose")).ToHaveValueAsync("");
        await Assertions.Expect(dialog).ToContainTextAsync(near.CameraId);
        await ConsoleBrowser.ScreenshotAsync(control, "11-deep-link");
        browser.AssertNoErrors();
    }

    /// <summary>A removed subscription reaches the audit record (every bad subscription, feed and query is tested in-process, in BodyCam.Integration.Tests).</summary>
    [Fact]
    public async Task A_removed_subscription_is_on_the_audit_record()
    {
        using var admin = await system.ClientForAsync("admin");
        using var created = await admin.PostAsJsonAsync("api/integrations/webhooks", new { url = "https://cad.example/hook", types = new[] { "uk.police.bodycam.recording.started" } });
        var subscription = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var removed = await admin.DeleteAsync($"api/integrations/webhooks/{subscription}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        var record = await system.AuditEventsEventuallyAsync("type=WebhookRemoved");
        Assert.Contains(record, e => e.GetProperty("data").GetProperty("subscriptionId").GetString() == subscription);
    }
}
