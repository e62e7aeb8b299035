using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using BodyCam.EndToEnd.Tests.Streaming;
using BodyCam.Testing;
using Microsoft.Playwright;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Console;

/// <summary>
/// In Chromium, as the control room would: watching a live camera, the operator sends an instruction
/// and sees it acknowledged, holds the talk button and speaks through the microphone (Opus from
/// WebCodecs, reaching the camera's socket), hears the wearer answer, and bookmarks the moment.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SupervisionConsoleTests(BodyCamSystem system)
{
    [Fact]
    public async Task An_operator_instructs_talks_with_and_hears_the_wearer_and_bookmarks_the_moment()
    {
        var camera = await system.RecordingCameraAsync();
        await camera.ReportAtAsync(Spot.Random());
        await using var ffmpeg = FfmpegCamera.Start(system, camera);
        await system.WaitLiveAsync(camera.CameraId, ffmpeg);
        var incident = $"INC-{Guid.NewGuid():N}"[..16];
        await using var browser = await ConsoleBrowser.LaunchAsync(system);

        var control = await browser.SignInAsync("control1", path: $"console/#watch={camera.CameraId}&incident={incident}");
        var dialog = control.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Purpose").SelectOptionAsync("incident-command");
        await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync("Crowd building at the away end, deciding on a second van");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Ask to watch" }).ClickAsync();
        await Assertions.Expect(control.Locator("#live-status")).ToHaveTextAsync("Live.");

        // An instruction, acknowledged by the camera, shows as seen.
        await control.GetByLabel("Instruction to the wearer").FillAsync("Hold at the turnstiles, van two minutes out");
        await control.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Assertions.Expect(control.Locator("#instructions")).ToContainTextAsync("waiting for the camera");
        var pending = await Eventually.Async(async () =>
        {
            var sent = await camera.Device.GetFromJsonAsync<JsonElement[]>($"api/streaming/cameras/{camera.CameraId}/messages?state=sent");
            return sent!.Length == 1 ? sent : null;
        }, what: "the instruction to reach the camera");
        using var ack = await camera.Device.PostAsync($"api/streaming/cameras/{camera.CameraId}/messages/{pending[0].GetProperty("instructionId").GetString()}/ack", null);
        ack.EnsureSuccessStatusCode();
        await Assertions.Expect(control.Locator("#instructions")).ToContainTextAsync("seen by the wearer");

        // The camera's talk channel is open; the operator holds the button and speaks.
        using var device = new ClientWebSocket();
        device.Options.SetRequestHeader("Authorization", camera.Device.DefaultRequestHeaders.Authorization!.ToString());
        await device.ConnectAsync(new UriBuilder(new Uri(system.GatewayAddress, $"api/ingest/cameras/{camera.CameraId}/talk")) { Scheme = "ws" }.Uri, CancellationToken.None);
        var talk = control.GetByRole(AriaRole.Button, new() { Name = "Hold to talk" });
        await talk.HoverAsync();
        await control.Mouse.DownAsync();
        using var listening = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var joined = await TalkAudio.ReceiveAsync(device, listening.Token);
        Assert.Equal(WebSocketMessageType.Text, joined.Type);
        var speaker = JsonDocument.Parse(joined.Bytes).RootElement.GetProperty("speaker").GetInt32();
        var packets = 0;
        while (packets < 25)
        {
            var (type, bytes) = await TalkAudio.ReceiveAsync(device, listening.Token);
            if (type == WebSocketMessageType.Binary)
            {
                Assert.Equal(speaker, bytes[0]);
                Assert.InRange(bytes.Length, 2, 1276);
                packets++;
            }
        }

        await control.Mouse.UpAsync();

        // The wearer answers; the console plays it.
        foreach (var packet in TalkAudio.Speech(660, 25))
        {
            await device.SendAsync(packet, WebSocketMessageType.Binary, true, CancellationToken.None);
        }

        await Assertions.Expect(control.Locator("#talk-status")).ToContainTextAsync("hearing the wearer");

        // The moment is bookmarked for the evidence record.
        await control.GetByLabel("Note for the evidence record").FillAsync("Bottle thrown from the away end");
        await control.GetByRole(AriaRole.Button, new() { Name = "Bookmark this moment" }).ClickAsync();
        await Assertions.Expect(control.Locator("#toast")).ToHaveTextAsync("Bookmarked for the evidence record.");
        await ConsoleBrowser.ScreenshotAsync(control, "10-supervision");
        await ConsoleBrowser.AssertAccessibleAsync(control);

        // The operator looks back 30 s: the player starts well behind the newest video and plays on; then back to live.
        await control.GetByRole(AriaRole.Button, new() { Name = "Back 30 s" }).ClickAsync();
        await Assertions.Expect(control.Locator("#live-status")).ToContainTextAsync("Rewound 30 s");
        const string behind = "() => { const v = document.getElementById('player'); const r = v.buffered; return r.length ? r.end(r.length - 1) - v.currentTime : 0; }";
        await Eventually.Async(async () => await control.EvaluateAsync<double>(behind) >= 10 ? (object)true : null, what: "the player to be at least 10 s behind the newest video");
        var rewoundAt = await control.EvaluateAsync<double>("() => document.getElementById('player').currentTime");
        await Eventually.Async(async () => await control.EvaluateAsync<double>("() => document.getElementById('player').currentTime") > rewoundAt + 1 ? (object)true : null,
            what: "the rewound video to play on");
        await control.GetByRole(AriaRole.Button, new() { Name = "Back to live" }).ClickAsync();
        await Assertions.Expect(control.Locator("#live-status")).ToHaveTextAsync("Live.");
        await Eventually.Async(async () => await control.EvaluateAsync<double>(behind) < 3 ? (object)true : null, what: "the player to be back at the live edge");

        // Stopping watching closes the talk; the camera hears the viewer left.
        await control.GetByRole(AriaRole.Button, new() { Name = "Stop watching" }).ClickAsync();
        for (;;)
        {
            var (type, bytes) = await TalkAudio.ReceiveAsync(device, listening.Token);
            if (type == WebSocketMessageType.Text && JsonDocument.Parse(bytes).RootElement.GetProperty("type").GetString() == "left")
            {
                break;
            }
        }

        var ended = (await system.AuditEventsEventuallyAsync($"type=TalkSessionEnded&cameraId={camera.CameraId}"))[0].GetProperty("data");
        Assert.True(ended.GetProperty("framesFromViewer").GetInt32() >= 25);
        Assert.Equal(25, ended.GetProperty("framesFromCamera").GetInt32());
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task A_control_room_operator_watches_an_operations_four_recording_officers_on_one_wall_each_on_its_own_grant()
    {
        var here = Spot.Random();
        var incident = $"INC-{Guid.NewGuid():N}"[..16];
        var cameras = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => system.RecordingCameraAsync()));
        var idle = await system.EnlistAsync();
        for (var i = 0; i < cameras.Length; i++)
        {
            await cameras[i].ReportAtAsync(here.Offset(0.001 * (i + 1), 0.001));
        }

        await idle.ReportAtAsync(here.Offset(0.002, 0.003));
        var ffmpegs = cameras.Select(c => FfmpegCamera.Start(system, c, size: "320x180", kbps: 300)).ToList();
        try
        {
            foreach (var (camera, ffmpeg) in cameras.Zip(ffmpegs))
            {
                await system.WaitLiveAsync(camera.CameraId, ffmpeg);
            }

            using var api = await system.ClientForAsync("control1");
            var name = $"Match {Guid.NewGuid():N}"[..14];
            double[][] ring = [[here.Lon, here.Lat], [here.Lon + 0.01, here.Lat], [here.Lon + 0.01, here.Lat + 0.01], [here.Lon, here.Lat + 0.01], [here.Lon, here.Lat]];
            using var opened = await api.PostAsJsonAsync("api/location/operations",
                new { name, kind = "football", area = new { type = "Polygon", coordinates = new[] { ring } }, incidentRef = incident });
            opened.EnsureSuccessStatusCode();
            await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 5, "five officers on the map");
            await using var browser = await ConsoleBrowser.LaunchAsync(system);

            // The operator picks the operation and asks once, with one purpose and reason.
            var control = await browser.SignInAsync("control1");
            await control.GetByLabel("Operation").SelectOptionAsync(new SelectOptionValue { Label = $"{name} (football)" });
            await control.GetByRole(AriaRole.Button, new() { Name = "Watch its recording officers" }).ClickAsync();
            var dialog = control.GetByRole(AriaRole.Dialog);
            await Assertions.Expect(dialog).ToContainTextAsync($"4 recording officers in {name}");
            await Assertions.Expect(dialog.GetByLabel("Incident reference")).ToHaveValueAsync(incident);
            await dialog.GetByLabel("Purpose").SelectOptionAsync("incident-command");
            await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync("Away fans leaving, deciding where to hold the line");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Ask to watch" }).ClickAsync();

            // Four tiles, each playing, each with its own countdown; the idle officer is not asked for.
            var tiles = control.Locator("#wall figure.tile");
            await Assertions.Expect(tiles).ToHaveCountAsync(4);
            await Assertions.Expect(control.Locator("#wall-summary")).ToContainTextAsync("4 of 4 watching");
            foreach (var camera in cameras)
            {
                await Assertions.Expect(control.Locator($"#wall figure[data-camera='{camera.CameraId}'] .tile-remaining")).ToContainTextAsync(":");
            }

            await Eventually.Async(async () =>
                await control.EvaluateAsync<bool>("() => [...document.querySelectorAll('#wall video')].every(v => v.currentTime > 1 && v.videoWidth > 0)") ? (object)true : null,
                what: "all four videos to play");
            await ConsoleBrowser.ScreenshotAsync(control, "11-wall");
            await ConsoleBrowser.AssertAccessibleAsync(control);

            // Four requests, each decided and recorded on its own, under the operation's incident.
            var decided = await system.AuditEventsEventuallyAsync($"type=ViewRequestDecided&incidentRef={incident}", count: 4);
            Assert.Equal(cameras.Select(c => c.CameraId).Order(), decided.Select(e => e.GetProperty("data").GetProperty("cameraId").GetString()).Order());
            Assert.Equal(4, decided.Select(e => e.GetProperty("subject").GetString()).Distinct().Count());

            // Ending one view revokes its grant only; the other three play on.
            await control.GetByRole(AriaRole.Button, new() { Name = $"End view of B-{cameras[0].OfficerId[^4..]}" }).ClickAsync();
            await Assertions.Expect(tiles).ToHaveCountAsync(3);
            await Assertions.Expect(control.Locator("#live-status")).ToHaveTextAsync("Live.");
            browser.AssertNoErrors();
        }
        finally
        {
            foreach (var ffmpeg in ffmpegs)
            {
                await ffmpeg.DisposeAsync();
            }
        }
    }
}
