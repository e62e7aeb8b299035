using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>Bad telemetry across services: refused whole, nothing reaches the map, the refusal reaches audit. (Ingest's and location's own rules are tested in-process.)</summary>
[Collection(SystemCollection.Name)]
public sealed class LiveMapBadInputTests(BodyCamSystem system)
{
    /// <summary>The journey across services: a refused batch's good sample never reaches the map (every bad sample's own test is in-process, in BodyCam.Ingest.Tests).</summary>
    [Theory]
    [InlineData("latitude above 90", """{"at":"{now}","lat":91,"lon":0}""", "lat")]
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

    private async Task<JsonElement> TrackAsync(string officerId, DateTimeOffset from, DateTimeOffset to)
    {
        using var http = await system.ClientForAsync("control1");
        return await http.GetFromJsonAsync<JsonElement>(
            $"api/location/officers/{officerId}/track?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}");
    }
}
