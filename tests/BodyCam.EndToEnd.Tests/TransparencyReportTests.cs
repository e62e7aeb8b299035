using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BodyCam.EndToEnd.Tests.Console;
using BodyCam.Testing;
using Microsoft.Playwright;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// The public transparency report through the gateway: a command of the test's own with three
/// refused requests and one granted, published by a compliance officer, read without a token as a
/// page, JSON and CSV; nothing the test created that names or places anyone appears in them; the
/// checkpoint the report names verifies; the page passes axe-core in Chromium.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TransparencyReportTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_published_report_is_open_to_anyone_names_no_one_hides_small_counts_and_ties_to_a_checkpoint_that_verifies()
    {
        var command = $"TR{Guid.NewGuid():N}"[..10].ToUpperInvariant();
        var camera = await system.EnlistAsync(command: command);
        await camera.SetRecordingAsync(true);
        await Eventually.Async(() => system.KnownToAuthorisationAsync(camera.CameraId, recording: true), what: $"authorisation to see {camera.CameraId} recording");
        var spot = Spot.Random().Offset(0.123457, 0.654321);
        await camera.ReportAtAsync(spot);
        var secrets = new List<string> { camera.CameraId, camera.OfficerId, $"{command}-{camera.OfficerId[^4..]}", "supervisor1", "control1",
            spot.Lat.ToString("0.####", CultureInfo.InvariantCulture), spot.Lon.ToString("0.####", CultureInfo.InvariantCulture) };

        using var supervisor = await system.ClientForAsync("supervisor1");
        for (var i = 0; i < 3; i++)
        {
            var reason = $"Reviewing the arrest at the Hawthorns {Guid.NewGuid():N}";
            secrets.Add(reason);
            using var refused = await supervisor.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera.CameraId, purpose = "use-of-force-review", reason });
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var control = await system.ClientForAsync("control1");
        var incident = $"INC-{Guid.NewGuid():N}"[..16];
        var why = $"Officer called for urgent assistance {Guid.NewGuid():N}";
        secrets.AddRange([incident, why]);
        using var granted = await control.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera.CameraId, purpose = "incident-command", reason = why, incidentRef = incident });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        var grant = await granted.Content.ReadFromJsonAsync<JsonElement>();
        secrets.Add(grant.GetProperty("grantId").GetString()!);
        secrets.Add(grant.GetProperty("streamToken").GetString()!);
        await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=ViewRequestDecided", count: 4);

        var period = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        using var compliance = await system.ClientForAsync("compliance1");
        using var published = await compliance.PostAsync($"api/audit/transparency/{period}/publish", null);
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);

        // Open to anyone, while the API behind it is not.
        using var anyone = system.Client();
        var page = await anyone.GetStringAsync($"public/transparency?period={period}");
        var json = await anyone.GetStringAsync($"public/transparency.json?period={period}");
        var csv = await anyone.GetStringAsync($"public/transparency.csv?period={period}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anyone.GetAsync("api/audit/events")).StatusCode);

        var report = JsonDocument.Parse(json).RootElement;
        var figures = report.GetProperty("figures").EnumerateArray().ToList();
        JsonElement Figure(string measure) => figures.Single(f => f.GetProperty("scope").GetString() == command && f.GetProperty("week").ValueKind == JsonValueKind.Null
            && f.GetProperty("measure").GetString() == measure && f.GetProperty("breakdown").ValueKind == JsonValueKind.Null);
        Assert.Equal("fewer than 5", Figure("views-refused").GetProperty("display").GetString());
        Assert.True(Figure("views-refused").GetProperty("suppressed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, Figure("views-refused").GetProperty("value").ValueKind);
        Assert.Equal("fewer than 5", Figure("views-granted").GetProperty("display").GetString());
        Assert.Contains(command, page);
        Assert.Contains($",{command},,views-refused,,,true,fewer than 5", csv);

        foreach (var (name, text) in new[] { ("page", page), ("JSON", json), ("CSV", csv) })
        {
            var leaked = secrets.Where(s => text.Contains(s, StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(leaked.Count == 0, $"the {name} contains {string.Join(", ", leaked)}");
        }

        // The checkpoint: its signature checks with the published key, the chain verifies up to it,
        // and the entry it names has the hash it says.
        var checkpoint = report.GetProperty("checkpoint");
        var seq = checkpoint.GetProperty("seq").GetInt64();
        var hash = checkpoint.GetProperty("hash").GetString()!;
        using (var key = RSA.Create())
        {
            key.ImportFromPem(checkpoint.GetProperty("publicKeyPem").GetString());
            var signedText = checkpoint.GetProperty("signedText").GetString()!;
            Assert.StartsWith($"{seq}\n{hash}\n", signedText);
            Assert.True(key.VerifyData(Encoding.UTF8.GetBytes(signedText), Convert.FromBase64String(checkpoint.GetProperty("signature").GetString()!),
                HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "the checkpoint's signature does not verify");
        }

        var verified = await compliance.GetFromJsonAsync<JsonElement>($"api/audit/verify?to={seq}");
        Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());
        var entry = (await system.AuditEventsAsync($"after={seq - 1}&limit=1")).Single();
        Assert.Equal(seq, entry.GetProperty("seq").GetInt64());
        Assert.Equal(hash, entry.GetProperty("hash").GetString());

        // Computing it is on the record, with the checkpoint it was computed at.
        await Eventually.Async(async () => (await system.AuditEventsAsync($"type=TransparencyReportComputed&after={seq}"))
                .FirstOrDefault(e => e.GetProperty("data").GetProperty("period").GetString() == period && e.GetProperty("data").GetProperty("published").GetBoolean()
                    && e.GetProperty("data").GetProperty("checkpointSeq").GetInt64() == seq && e.GetProperty("actorId").GetString() == "compliance1") is { ValueKind: JsonValueKind.Object } found ? (object)found : null,
            what: "the report's computation on the audit record");
    }

    [Fact]
    public async Task Last_month_is_published_by_the_schedule_without_anyone_asking()
    {
        var london = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
        // The schedule publishes a month an hour after it ends (Transparency:Grace).
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddHours(-1), london);
        var due = new DateTime(now.Year, now.Month, 1).AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        using var anyone = system.Client();

        var report = await Eventually.Async(async () =>
        {
            using var response = await anyone.GetAsync($"public/transparency.json?period={due}");
            return response.IsSuccessStatusCode ? (object)JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : null;
        }, what: $"the schedule to publish {due}");

        Assert.True(((JsonElement)report).GetProperty("periodComplete").GetBoolean());
        await Eventually.Async(async () => (await system.AuditEventsAsync("type=TransparencyReportComputed&limit=500"))
                .Any(e => e.GetProperty("actorId").GetString() == "system:transparency-schedule" && e.GetProperty("data").GetProperty("period").GetString() == due) ? (object)true : null,
            what: $"the schedule's computation of {due} on the audit record");
    }

    [Fact]
    public async Task The_page_is_accessible_and_a_compliance_officer_previews_and_publishes_from_the_console()
    {
        await using var browser = await ConsoleBrowser.LaunchAsync(system);
        var page = await browser.SignInAsync("compliance1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Transparency" }).ClickAsync();
        var month = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        await page.GetByLabel("Month").FillAsync(month);
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Assertions.Expect(page.Locator("#transparency-status")).ToContainTextAsync($"Preview of {month}");
        await Assertions.Expect(page.Locator("#transparency-rows")).ToContainTextAsync("Granted at once by the policy");
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Assertions.Expect(page.Locator("#transparency-status")).ToContainTextAsync($"Published {month}");
        await ConsoleBrowser.AssertAccessibleAsync(page);
        await ConsoleBrowser.ScreenshotAsync(page, "transparency-console");

        var report = await browser.OpenAsync($"public/transparency?period={month}");
        await Assertions.Expect(report.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("transparency report");
        await ConsoleBrowser.AssertAccessibleAsync(report);
        await ConsoleBrowser.ScreenshotAsync(report, "transparency-public");
        browser.AssertNoErrors();
    }
}
