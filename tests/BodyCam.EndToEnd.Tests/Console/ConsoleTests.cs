using System.Net;
using System.Net.Http.Json;
using BodyCam.EndToEnd.Tests.Streaming;
using BodyCam.Testing;
using Microsoft.Playwright;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Console;

/// <summary>
/// The console in a real Chromium against the running system, with a real ffmpeg camera: the people
/// who use it, doing what they came to do.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ConsoleTests(BodyCamSystem system)
{
    [Fact]
    public async Task An_operator_watches_with_a_reason_a_supervisor_revokes_and_compliance_finds_the_access_in_the_timeline()
    {
        var spot = Spot.Random();
        var camera = await system.RecordingCameraAsync();
        await camera.ReportAtAsync(spot);
        await using var ffmpeg = FfmpegCamera.Start(system, camera);
        await system.WaitLiveAsync(camera.CameraId, ffmpeg);
        var incident = $"INC-{Guid.NewGuid():N}"[..16];
        await using var browser = await ConsoleBrowser.LaunchAsync(system);

        // The operator signs in and finds the officer on the map, recording.
        var control = await browser.SignInAsync("control1");
        await control.GetByLabel("Find officer or callsign").FillAsync(camera.OfficerId);
        var officer = control.Locator($"#officer-list button[data-officer='{camera.OfficerId}']");
        await Assertions.Expect(officer).ToContainTextAsync("recording");
        await Assertions.Expect(control.Locator($"#map path.marker-{camera.OfficerId}")).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(control, "01-map");
        await ConsoleBrowser.AssertAccessibleAsync(control);

        // From the keyboard: the officer's details, then the watch dialog with purpose, reason and incident.
        // The list is drawn again as positions arrive; the keyboard stays on the officer it was on.
        await officer.FocusAsync();
        await ConsoleBrowser.RedrawnAsync(officer, () => camera.ReportAtAsync(Spot.Random()));
        await Assertions.Expect(officer).ToBeFocusedAsync();
        await control.Keyboard.PressAsync("Enter");
        await Assertions.Expect(control.Locator("#details-title")).ToContainTextAsync(camera.OfficerId);
        await control.GetByRole(AriaRole.Button, new() { Name = "Watch this camera" }).ClickAsync();
        var dialog = control.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Purpose").SelectOptionAsync("incident-command");
        await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync("Disorder outside the ground, deciding where to send the van");
        await dialog.GetByLabel("Incident reference").FillAsync(incident);
        await ConsoleBrowser.ScreenshotAsync(control, "02-watch-dialog");
        await ConsoleBrowser.AssertAccessibleAsync(control);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Ask to watch" }).ClickAsync();

        // The video really plays: its clock advances.
        await Assertions.Expect(control.Locator("#live-status")).ToHaveTextAsync("Live.");
        var first = await PlayedAsync(control, atLeast: 1.0);
        var later = await PlayedAsync(control, atLeast: first + 1.0);
        Assert.True(later > first);
        await ConsoleBrowser.ScreenshotAsync(control, "03-live");
        await ConsoleBrowser.AssertAccessibleAsync(control);

        // The operator extends the grant, with a reason; the player keeps going.
        await control.GetByLabel("Reason to extend").FillAsync("Van still on its way");
        await control.GetByRole(AriaRole.Button, new() { Name = "Extend" }).ClickAsync();
        await Assertions.Expect(control.Locator("#toast")).ToHaveTextAsync("The grant was extended.");
        await PlayedAsync(control, atLeast: later + 0.5);

        // A supervisor revokes the grant from the grants screen, with a reason.
        var supervisor = await browser.SignInAsync("supervisor1");
        await supervisor.GetByRole(AriaRole.Button, new() { Name = "Grants" }).ClickAsync();
        var row = supervisor.Locator("#grant-rows tr", new() { HasText = incident });
        await Assertions.Expect(row).ToContainTextAsync("control1");
        await ConsoleBrowser.ScreenshotAsync(supervisor, "04-grants");
        await ConsoleBrowser.AssertAccessibleAsync(supervisor);
        // The grants screen refreshes every few seconds while the reason is written: it keeps what was typed.
        await row.GetByPlaceholder("Reason to revoke").FillAsync("Not needed any more: van deployed");
        await ConsoleBrowser.RedrawnAsync(row);
        await Assertions.Expect(row.GetByPlaceholder("Reason to revoke")).ToHaveValueAsync("Not needed any more: van deployed");
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();

        // The operator's player says it was cut, and why.
        await Assertions.Expect(control.Locator("#live-status")).ToContainTextAsync("The grant was revoked");
        await Assertions.Expect(control.Locator("#live-status")).ToContainTextAsync("van deployed");
        await ConsoleBrowser.ScreenshotAsync(control, "05-cut");

        // Compliance replays the incident: the request with its reason, the session and the revoke, on a verified chain.
        var compliance = await browser.SignInAsync("compliance1");
        await compliance.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        var replay = compliance.Locator("#replay-form");
        await replay.GetByLabel("Incident reference").FillAsync(incident);
        await replay.GetByRole(AriaRole.Button, new() { Name = "Replay", Exact = true }).ClickAsync();
        var events = compliance.Locator("#replay-events");
        await Assertions.Expect(events).ToContainTextAsync("control1 (control-room) asked to watch", new() { Timeout = 30_000 });
        await Assertions.Expect(events).ToContainTextAsync("deciding where to send the van");
        await Assertions.Expect(events).ToContainTextAsync("control1 started watching");
        await Assertions.Expect(events).ToContainTextAsync("revoked by supervisor1");
        await Assertions.Expect(compliance.Locator("#replay-chain")).ToContainTextAsync("Chain verified");
        var scrubber = compliance.GetByRole(AriaRole.Slider, new() { Name = "Moment" });
        await scrubber.FocusAsync();
        await compliance.Keyboard.PressAsync("End");
        await Assertions.Expect(compliance.Locator("#replay-events li.current")).ToHaveCountAsync(1);
        await Assertions.Expect(compliance.Locator($"#replay-map path.marker-{camera.CameraId}")).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(compliance, "06-replay");
        await ConsoleBrowser.AssertAccessibleAsync(compliance);

        browser.AssertNoErrors();
    }

    [Fact]
    public async Task The_control_room_sees_a_Watch_Me_and_the_wearer_sees_who_is_watching_at_phone_width()
    {
        var camera = await system.RecordingCameraAsync("officer4");
        await camera.ReportAtAsync(Spot.Random());
        await using var ffmpeg = FfmpegCamera.Start(system, camera);
        await system.WaitLiveAsync(camera.CameraId, ffmpeg);
        using var pressed = await camera.Device.PostAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/watch-me", new { at = DateTimeOffset.UtcNow, note = "console test" });
        Assert.Equal(HttpStatusCode.Accepted, pressed.StatusCode);
        await using var browser = await ConsoleBrowser.LaunchAsync(system);

        var control = await browser.SignInAsync("control1");
        await control.GetByRole(AriaRole.Button, new() { Name = "Alerts" }).ClickAsync();
        var alert = control.Locator("#watchme-list li", new() { HasText = camera.CameraId });
        await Assertions.Expect(alert).ToContainTextAsync("Watch Me");
        await ConsoleBrowser.ScreenshotAsync(control, "07-alerts");
        await ConsoleBrowser.AssertAccessibleAsync(control);

        // The operator answers it by watching, with the Watch Me purpose already chosen.
        await alert.GetByRole(AriaRole.Button, new() { Name = "Watch" }).ClickAsync();
        var dialog = control.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog.GetByLabel("Purpose")).ToHaveValueAsync("watch-me-response");
        await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync("Officer pressed Watch Me");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Ask to watch" }).ClickAsync();
        await Assertions.Expect(control.Locator("#live-panel")).ToBeVisibleAsync();

        // The wearer, on a phone, sees who is watching and why.
        var wearer = await browser.SignInAsync("officer4", width: 390, height: 844);
        await wearer.GetByRole(AriaRole.Button, new() { Name = "My camera" }).ClickAsync();
        await Assertions.Expect(wearer.Locator("#wearer-viewers")).ToContainTextAsync("control1 (control-room)");
        await Assertions.Expect(wearer.Locator("#wearer-viewers")).ToContainTextAsync("watch-me-response");
        Assert.True(await wearer.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page is wider than the phone");
        await ConsoleBrowser.ScreenshotAsync(wearer, "08-wearer-phone");
        await ConsoleBrowser.AssertAccessibleAsync(wearer);

        await control.GetByRole(AriaRole.Button, new() { Name = "Stop watching" }).ClickAsync();
        await Assertions.Expect(wearer.Locator("#wearer-viewers")).ToContainTextAsync("Nobody is watching");
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task The_map_draws_operations_and_narrows_to_one_operation_and_to_recording_officers()
    {
        var here = Spot.Random();
        var recording = await system.RecordingCameraAsync();
        var idle = await system.EnlistAsync();
        var outside = await system.EnlistAsync();
        await recording.ReportAtAsync(here.Offset(0.002, 0.002));
        await idle.ReportAtAsync(here.Offset(0.006, 0.006));
        await outside.ReportAtAsync(here.Offset(0.02, 0.02));
        using var api = await system.ClientForAsync("control1");
        var name = $"Protest {Guid.NewGuid():N}"[..16];
        double[][] ring = [[here.Lon, here.Lat], [here.Lon + 0.01, here.Lat], [here.Lon + 0.01, here.Lat + 0.01], [here.Lon, here.Lat + 0.01], [here.Lon, here.Lat]];
        using var opened = await api.PostAsJsonAsync("api/location/operations",
            new { name, kind = "protest", area = new { type = "Polygon", coordinates = new[] { ring } } });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 3, "three officers on the map");
        await using var browser = await ConsoleBrowser.LaunchAsync(system);

        var control = await browser.SignInAsync("control1");
        await control.GetByLabel("Operation").SelectOptionAsync(new SelectOptionValue { Label = $"{name} (protest)" });
        var list = control.Locator("#officer-list button");
        await Assertions.Expect(list).ToHaveCountAsync(2);
        await Assertions.Expect(control.Locator($"#officer-list button[data-officer='{recording.OfficerId}']")).ToContainTextAsync("recording");
        await Assertions.Expect(control.Locator($"#officer-list button[data-officer='{idle.OfficerId}']")).ToContainTextAsync("idle");
        await Assertions.Expect(control.Locator("#map path.leaflet-interactive[stroke-dasharray]")).Not.ToHaveCountAsync(0);

        await control.GetByLabel("Recording only").CheckAsync();
        await Assertions.Expect(list).ToHaveCountAsync(1);
        await Assertions.Expect(list.First).ToHaveAttributeAsync("data-officer", recording.OfficerId);

        // The nearest colleagues of the one still shown: the idle officer inside, then the one outside.
        await list.First.ClickAsync();
        var nearest = control.Locator("#details-nearest li");
        await Assertions.Expect(nearest.First).ToContainTextAsync(idle.OfficerId);
        await ConsoleBrowser.ScreenshotAsync(control, "09-operation-filter");
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task Where_WebSockets_are_blocked_the_player_falls_back_to_LL_HLS_and_plays()
    {
        var camera = await system.RecordingCameraAsync();
        await camera.ReportAtAsync(Spot.Random());
        await using var ffmpeg = FfmpegCamera.Start(system, camera);
        await system.WaitLiveAsync(camera.CameraId, ffmpeg);
        await using var browser = await ConsoleBrowser.LaunchAsync(system);

        // A network that refuses WebSockets (some proxies do): every socket closes before it opens.
        const string noWebSockets = """
            window.WebSocket = class { constructor() { setTimeout(() => this.onclose && this.onclose({ code: 1006, reason: "" }), 10); } close() {} };
            """;
        var officer = await browser.SignInAsync("officer1", initScript: noWebSockets);
        await officer.GetByLabel("Find officer or callsign").FillAsync(camera.OfficerId);
        await officer.Locator($"#officer-list button[data-officer='{camera.OfficerId}']").ClickAsync();
        await officer.GetByRole(AriaRole.Button, new() { Name = "Watch this camera" }).ClickAsync();
        var dialog = officer.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Purpose").SelectOptionAsync("officer-safety");
        await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync("Colleague alone at a domestic, checking on them");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Ask to watch" }).ClickAsync();

        await Assertions.Expect(officer.Locator("#live-status")).ToHaveTextAsync("Live (HLS).");
        var first = await PlayedAsync(officer, atLeast: 0.5);
        await PlayedAsync(officer, atLeast: first + 1.0);
        await ConsoleBrowser.ScreenshotAsync(officer, "10-live-hls");

        await officer.GetByRole(AriaRole.Button, new() { Name = "Stop watching" }).ClickAsync();
        await Assertions.Expect(officer.Locator("#live-status")).ToHaveTextAsync("You stopped watching.");
        var ended = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=GrantRevoked");
        Assert.Equal("officer1", ended[0].GetProperty("actorId").GetString());
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task Compliance_acknowledges_a_misuse_alert_with_a_note_and_exports_the_replayed_range()
    {
        // A view granted with no incident reference, for a purpose that needs one: the monitor raises an alert.
        var camera = await system.RecordingCameraAsync();
        await camera.ReportAtAsync(Spot.Random());
        using var control = await system.ClientForAsync("control1");
        using var granted = await control.PostAsJsonAsync("api/authorisation/view-requests",
            new { cameraId = camera.CameraId, purpose = "resource-deployment", reason = "Seeing whether the crowd has thinned" });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        await using var browser = await ConsoleBrowser.LaunchAsync(system);

        var compliance = await browser.SignInAsync("compliance1");
        await compliance.GetByRole(AriaRole.Button, new() { Name = "Alerts" }).ClickAsync();
        var alert = compliance.Locator("#misuse-list li", new() { HasText = camera.OfficerId }).Filter(new() { HasText = "no-incident-reference" });
        await Assertions.Expect(alert).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(compliance, "12-misuse-alert");
        await ConsoleBrowser.AssertAccessibleAsync(compliance);
        await alert.GetByLabel("Note").FillAsync("Spoke to the operator: crowd check at the ground, reference added to the log");
        await ConsoleBrowser.RedrawnAsync(alert);
        await Assertions.Expect(alert.GetByLabel("Note")).ToHaveValueAsync("Spoke to the operator: crowd check at the ground, reference added to the log");
        await alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Assertions.Expect(alert).ToHaveCountAsync(0);
        var acknowledged = await system.AuditEventsEventuallyAsync("type=MisuseAlertAcknowledged");
        Assert.Contains(acknowledged, e => e.GetProperty("data").GetProperty("cameraId").GetString() == camera.CameraId);

        // The camera's replay, then its export as a file a regulator can check.
        await compliance.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        var replay = compliance.Locator("#replay-form");
        await replay.GetByLabel("Camera").FillAsync(camera.CameraId);
        await replay.GetByRole(AriaRole.Button, new() { Name = "Replay", Exact = true }).ClickAsync();
        await Assertions.Expect(compliance.Locator("#replay-events")).ToContainTextAsync("Seeing whether the crowd has thinned");
        await Assertions.Expect(compliance.Locator("#replay-chain")).ToContainTextAsync("Chain verified");
        var download = await compliance.RunAndWaitForDownloadAsync(() => compliance.GetByRole(AriaRole.Button, new() { Name = "JSON" }).ClickAsync());
        var file = Path.Combine(ConsoleBrowser.Artifacts, download.SuggestedFilename);
        await download.SaveAsAsync(file);
        using var export = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file));
        Assert.Contains(export.RootElement.GetProperty("entries").EnumerateArray(), e => e.GetProperty("type").GetString() == "ViewRequestDecided");
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task The_console_is_served_without_signing_in_and_a_missing_file_is_a_404_problem()
    {
        using var anonymous = system.Client();
        using var page = await anonymous.GetAsync("console/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        using var settings = await anonymous.GetAsync("console/config.json");
        Assert.Equal(HttpStatusCode.OK, settings.StatusCode);

        using var missing = await anonymous.GetAsync("console/no-such-file.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("urn:bodycam:problem:not-found", (await missing.ProblemAsync()).GetProperty("type").GetString());
        // The API beside it still wants a token.
        using var api = await anonymous.GetAsync("api/location/officers");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    /// <summary>The player's current time once it has reached <paramref name="atLeast"/> seconds.</summary>
    /// <remarks>Polled with evaluate: the console's CSP (rightly) forbids the eval that waitForFunction needs.</remarks>
    private static async Task<double> PlayedAsync(IPage page, double atLeast) =>
        (double)(await Eventually.Async(async () =>
        {
            var played = await page.EvaluateAsync<double>("() => document.getElementById('player').currentTime");
            return played >= atLeast ? (object)played : null;
        }, what: $"the video to play past {atLeast} s"))!;
}
