using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>Bad telemetry, assignments, map queries and operations: a clear 4xx, and nothing stored.</summary>
[Collection(SystemCollection.Name)]
public sealed class LiveMapBadInputTests(BodyCamSystem system)
{
    public static TheoryData<string, string, string> BadSamples => new()
    {
        { "latitude above 90", """{"at":"{now}","lat":91,"lon":0}""", "lat" },
        { "latitude below -90", """{"at":"{now}","lat":-90.5,"lon":0}""", "lat" },
        { "longitude beyond 180", """{"at":"{now}","lat":0,"lon":180.01}""", "lon" },
        { "a time far in the future", """{"at":"2099-01-01T00:00:00Z","lat":0,"lon":0}""", "future" },
        { "a negative speed", """{"at":"{now}","lat":0,"lon":0,"speedMps":-1}""", "speedMps" },
        { "a battery over 100%", """{"at":"{now}","lat":0,"lon":0,"batteryPct":101}""", "batteryPct" },
        { "a heading of 360", """{"at":"{now}","lat":0,"lon":0,"headingDeg":360}""", "headingDeg" },
    };

    [Theory]
    [MemberData(nameof(BadSamples))]
    public async Task A_batch_with_a_bad_sample_is_refused_whole_naming_the_sample_and_nothing_is_stored(string why, string badSample, string mentioned)
    {
        var here = Spot.Random();
        var camera = await system.EnlistAsync();
        var now = DateTimeOffset.UtcNow;
        var good = FormattableString.Invariant($$"""{"at":"{{now.AddSeconds(-1):O}}","lat":{{here.Lat}},"lon":{{here.Lon}}}""");
        var body = $$"""{"samples":[{{good}},{{badSample.Replace("{now}", now.ToString("O"), StringComparison.Ordinal)}}]}""";

        using var response = await camera.Device.PostAsync($"api/ingest/cameras/{camera.CameraId}/telemetry", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        var problem = await response.ProblemAsync();
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("samples[1]", out var sampleErrors), $"{why}: the second sample should be named");
        Assert.False(errors.TryGetProperty("samples[0]", out _), $"{why}: the good sample is not at fault");
        Assert.Contains(mentioned, sampleErrors.GetRawText(), StringComparison.Ordinal);

        // A good batch afterwards lands, and the refused batch's good sample never did.
        await camera.ReportAtAsync(here.Offset(0.01, 0));
        await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 1, "the later good sample");
        var track = await TrackAsync(camera.OfficerId, now.AddMinutes(-1), now.AddMinutes(1));
        Assert.Single(track.GetProperty("properties").GetProperty("times").EnumerateArray());
    }

    [Fact]
    public async Task An_oversized_batch_is_refused_as_too_large()
    {
        var camera = await system.EnlistAsync();
        var now = DateTimeOffset.UtcNow;
        var samples = Enumerable.Range(0, 501).Select(i => (now.AddMilliseconds(-i), new Spot(1, 1))).ToArray();

        using var response = await camera.ReportAsync(samples);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:payload-too-large", (await response.ProblemAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_empty_batch_is_refused()
    {
        var camera = await system.EnlistAsync();

        using var response = await camera.Device.PostAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/telemetry", new { samples = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_device_posting_for_another_camera_is_forbidden_and_the_refusal_is_audited()
    {
        var mine = await system.EnlistAsync();
        var theirs = await system.EnlistAsync();

        using var telemetry = await mine.Device.PostAsJsonAsync($"api/ingest/cameras/{theirs.CameraId}/telemetry",
            new { samples = new[] { new { at = DateTimeOffset.UtcNow, lat = 1.0, lon = 1.0 } } });
        using var recording = await mine.Device.PostAsJsonAsync($"api/ingest/cameras/{theirs.CameraId}/recording",
            new { state = "recording", at = DateTimeOffset.UtcNow });

        Assert.Equal(HttpStatusCode.Forbidden, telemetry.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, recording.StatusCode);
        var refusals = await Eventually.Async(async () =>
        {
            var items = await system.AuditEventsAsync("type=AccessRefused&limit=1000");
            var mineRefused = items.Where(e => e.GetProperty("actorId").GetString() == $"camera-{mine.CameraId}").ToArray();
            return mineRefused.Length >= 2 ? mineRefused : null;
        }, what: "both refusals on the audit record");
        Assert.All(refusals, r => Assert.Contains(theirs.CameraId, r.GetProperty("data").GetProperty("path").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_person_cannot_post_telemetry_even_an_admin()
    {
        var camera = await system.EnlistAsync();
        using var admin = await system.ClientForAsync("admin");

        using var response = await admin.PostAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/telemetry",
            new { samples = new[] { new { at = DateTimeOffset.UtcNow, lat = 1.0, lon = 1.0 } } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Assigning_an_unknown_camera_is_a_404_and_a_bad_assignment_names_its_fields()
    {
        using var supervisor = await system.ClientForAsync("supervisor1");
        var camera = await system.EnlistAsync();

        using var unknown = await supervisor.PutAsJsonAsync($"api/ingest/cameras/{Api.NewCameraId()}/assignment", new { officerId = "o1", callsign = "B-1", command = "B" });
        using var bad = await supervisor.PutAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/assignment", new { officerId = "no spaces", callsign = "", command = "B!" });
        using var officer = await system.ClientForAsync("officer1");
        using var forbidden = await officer.PutAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/assignment", new { officerId = "officer1", callsign = "B-1", command = "B" });

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.ProblemAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("officerId", out _) && errors.TryGetProperty("callsign", out _) && errors.TryGetProperty("command", out _));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    private async Task<JsonElement> TrackAsync(string officerId, DateTimeOffset from, DateTimeOffset to)
    {
        using var http = await system.ClientForAsync("control1");
        return await http.GetFromJsonAsync<JsonElement>(
            $"api/location/officers/{officerId}/track?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}");
    }
}
