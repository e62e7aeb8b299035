using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>The wearer asks to be watched; the control room sees it, acknowledges it, and the camera is told.</summary>
[Collection(SystemCollection.Name)]
public sealed class WatchMeTests(BodyCamSystem system)
{
    [Fact]
    public async Task Watch_Me_reaches_the_record_and_its_acknowledgement_reaches_the_wearers_camera()
    {
        var camera = await system.EnlistAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        camera.Device.Timeout = TimeSpan.FromSeconds(60);
        using var feed = await camera.Device.GetAsync($"api/ingest/cameras/{camera.CameraId}/notifications", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
        await using var stream = await feed.Content.ReadAsStreamAsync(timeout.Token);
        await using var events = SseParser.Create(stream).EnumerateAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("ready", events.Current.EventType);

        using var pressed = await camera.Device.PostAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/watch-me", new { at = DateTimeOffset.UtcNow, note = "crowd turning" });
        Assert.Equal(HttpStatusCode.Accepted, pressed.StatusCode);
        var requested = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=WatchMeRequested");
        Assert.Equal(camera.OfficerId, requested[0].GetProperty("data").GetProperty("officerId").GetString());

        using var control = await system.ClientForAsync("control1");
        using var acknowledged = await control.PostAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/watch-me/acknowledge", new { note = "on it" });
        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);

        while (await events.MoveNextAsync())
        {
            var item = events.Current;
            if (item.EventType == "heartbeat")
            {
                continue;
            }

            Assert.Equal("watch-me-acknowledged", item.EventType);
            var notification = JsonDocument.Parse(item.Data).RootElement;
            Assert.Equal("control1", notification.GetProperty("actorId").GetString());
            Assert.Equal("on it", notification.GetProperty("note").GetString());
            return;
        }

        Assert.Fail("The notification feed ended without the acknowledgement.");
    }

    [Fact]
    public async Task Acknowledging_with_no_open_Watch_Me_is_a_409_and_another_device_cannot_follow_a_cameras_feed()
    {
        var camera = await system.EnlistAsync();
        var other = await system.EnlistAsync();
        using var control = await system.ClientForAsync("control1");

        using var nothingOpen = await control.PostAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/watch-me/acknowledge", new { });
        using var notMine = await other.Device.GetAsync($"api/ingest/cameras/{camera.CameraId}/notifications", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Conflict, nothingOpen.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notMine.StatusCode);
    }
}
