using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>The wearer is told when someone starts and stops watching, and who; and can see who is watching now.</summary>
[Collection(SystemCollection.Name)]
public sealed class WearerToldTests(BodyCamSystem system)
{
    [Fact]
    public async Task The_wearer_is_told_when_a_viewer_starts_and_stops_watching_and_sees_who_is_watching_now()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        using var feed = await camera.Device.GetAsync($"api/ingest/cameras/{camera.CameraId}/notifications", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        await using var stream = await feed.Content.ReadAsStreamAsync(timeout.Token);
        await using var events = SseParser.Create(stream).EnumerateAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await events.MoveNextAsync());
        var (_, token) = await system.GrantAsync(camera.CameraId, viewer: "officer1");
        Assert.Equal("watch-granted", (await events.NextNotificationAsync()).Type);

        var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.WaitForMessagesAsync(2);

        var joined = await events.NextNotificationAsync();
        Assert.Equal("viewer-joined", joined.Type);
        Assert.Equal("officer1", joined.Data.GetProperty("viewerId").GetString());
        await WatchingAsync(camera, true);

        await viewer.DisposeAsync();

        var left = await events.NextNotificationAsync();
        Assert.Equal("viewer-left", left.Type);
        Assert.Equal("officer1", left.Data.GetProperty("viewerId").GetString());
        Assert.Equal("viewer-left", left.Data.GetProperty("note").GetString());
        await WatchingAsync(camera, false);
    }

    private static Task<JsonElement[]> WatchingAsync(TestCamera camera, bool watching) =>
        Eventually.Async(async () =>
        {
            var viewers = await camera.Device.GetFromJsonAsync<JsonElement[]>($"api/ingest/cameras/{camera.CameraId}/viewers");
            return viewers!.Length == 1 && viewers[0].GetProperty("watching").GetBoolean() == watching ? viewers : null;
        }, TimeSpan.FromSeconds(30), $"the camera's viewer list to show watching={watching}");
}
