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
        await Assertions.Expect(control.Locator("path.leaflet-interactive").First).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(control, "01-map");

        // From the keyboard: the officer's details, then the watch dialog with purpose, reason and incident.
        await officer.FocusAsync();
        await control.Keyboard.PressAsync("Enter");
        await Assertions.Expect(control.Locator("#details-title")).ToContainTextAsync(camera.OfficerId);
        await control.GetByRole(AriaRole.Button, new() { Name = "Watch this camera" }).ClickAsync();
        var dialog = control.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Purpose").SelectOptionAsync("incident-command");
        await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync("Disorder outside the ground, deciding where to send the van");
        await dialog.GetByLabel("Incident reference").FillAsync(incident);
        await ConsoleBrowser.ScreenshotAsync(control, "02-watch-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Ask to watch" }).ClickAsync();

        // The video really plays: its clock advances.
        await Assertions.Expect(control.Locator("#live-status")).ToHaveTextAsync("Live.");
        var first = await PlayedAsync(control, atLeast: 1.0);
        var later = await PlayedAsync(control, atLeast: first + 1.0);
        Assert.True(later > first);
        await ConsoleBrowser.ScreenshotAsync(control, "03-live");

        // A supervisor revokes the grant from the grants screen, with a reason.
        var supervisor = await browser.SignInAsync("supervisor1");
        await supervisor.GetByRole(AriaRole.Button, new() { Name = "Grants" }).ClickAsync();
        var row = supervisor.Locator("#grant-rows tr", new() { HasText = incident });
        await Assertions.Expect(row).ToContainTextAsync("control1");
        await ConsoleBrowser.ScreenshotAsync(supervisor, "04-grants");
        await row.GetByPlaceholder("Reason to revoke").FillAsync("Not needed any more: van deployed");
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
        await Assertions.Expect(compliance.Locator("#replay-map path.leaflet-interactive").First).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(compliance, "06-replay");

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

        await control.GetByRole(AriaRole.Button, new() { Name = "Stop watching" }).ClickAsync();
        await Assertions.Expect(wearer.Locator("#wearer-viewers")).ToContainTextAsync("Nobody is watching");
        browser.AssertNoErrors();
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
