using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BodyCam.Contracts.Cameras;
using BodyCam.Ingest.Cameras;
using BodyCam.Testing;
using Marten;
using Xunit;

namespace BodyCam.Ingest.Tests;

/// <summary>The ingest service in this process (<see cref="InProcessService{TProgram}"/>); cameras are registered straight into its store.</summary>
public sealed class IngestHost() : InProcessService<Program>("ingest")
{
    /// <summary>A registered camera and a client holding its device token.</summary>
    public async Task<(string CameraId, HttpClient Device)> CameraAsync()
    {
        var cameraId = $"CAM-{Guid.NewGuid():N}"[..14].ToUpperInvariant();
        await using (var session = Store.LightweightSession())
        {
            session.Events.StartStream<Camera>(CameraStream.Key(cameraId),
                new CameraRegistered(cameraId, "SN-" + cameraId, "BWV-9", $"camera-{cameraId}", "admin", DateTimeOffset.UtcNow, Guid.NewGuid()));
            await session.SaveChangesAsync();
        }

        return (cameraId, ClientFor($"camera-{cameraId}", "device", cameraId: cameraId));
    }

    public async Task<IReadOnlyList<string>> StreamsLikeAsync(string prefix)
    {
        await using var session = Store.QuerySession();
        return [.. (await session.Events.QueryAllRawEvents().Where(e => e.StreamKey!.StartsWith(prefix)).ToListAsync()).Select(e => e.StreamKey!).Distinct()];
    }
}

/// <summary>
/// Ingest's bad input and rules, through its own HTTP API in this process: a clear problem with a
/// stable type naming what is wrong, a refusal on the record, nothing stored. (Were end-to-end tests;
/// the journeys that need the map or the gateway's identity stay there.)
/// </summary>
public sealed class IngestRulesTests(IngestHost host) : IClassFixture<IngestHost>
{
    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "truncated JSON", """{"cameraId":"CAM-BAD-1","serial":""" },
        { "not JSON at all", "cameraId=CAM-BAD-2" },
        { "a JSON array", """["CAM-BAD-3"]""" },
        { "a missing field", """{"cameraId":"CAM-BAD-4","serial":"S"}""" },
        { "a null field", """{"cameraId":"CAM-BAD-5","serial":null,"model":"M"}""" },
        { "a number for a string", """{"cameraId":6,"serial":"S","model":"M"}""" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task A_registration_that_cannot_be_read_is_a_400_problem_and_stores_nothing(string why, string body)
    {
        using var admin = host.ClientFor("admin", "admin");

        using var response = await admin.PostAsync("api/ingest/cameras", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:invalid-request", problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Empty(await host.StreamsLikeAsync("camera/CAM-BAD-"));
    }

    public static TheoryData<string, string, string> InvalidValues => new()
    {
        { "an id with spaces", """{"cameraId":"CAM BAD 7","serial":"S","model":"M"}""", "cameraId" },
        { "an empty id", """{"cameraId":"","serial":"S","model":"M"}""", "cameraId" },
        { "an over-long id", $$"""{"cameraId":"{{new string('A', 65)}}","serial":"S","model":"M"}""", "cameraId" },
        { "a blank serial", """{"cameraId":"CAM-BAD-8","serial":"  ","model":"M"}""", "serial" },
        { "an over-long model", $$"""{"cameraId":"CAM-BAD-9","serial":"S","model":"{{new string('m', 129)}}"}""", "model" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public async Task A_registration_with_invalid_values_names_each_field_and_stores_nothing(string why, string body, string field)
    {
        using var admin = host.ClientFor("admin", "admin");

        using var response = await admin.PostAsync("api/ingest/cameras", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:invalid-request", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: the problem should name '{field}'");
        Assert.Empty(await host.StreamsLikeAsync("camera/CAM-BAD-"));
        Assert.Empty(await host.StreamsLikeAsync("camera/CAM BAD"));
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_refused_as_unsupported()
    {
        using var admin = host.ClientFor("admin", "admin");

        using var response = await admin.PostAsync("api/ingest/cameras", new StringContent("cameraId=X", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:unsupported-media-type", (await response.ProblemAsync()).GetProperty("type").GetString());
    }

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
    public async Task A_batch_with_a_bad_sample_is_refused_whole_naming_the_sample(string why, string badSample, string mentioned)
    {
        var (cameraId, device) = await host.CameraAsync();
        var now = DateTimeOffset.UtcNow;
        var good = FormattableString.Invariant($$"""{"at":"{{now.AddSeconds(-1):O}}","lat":52.48,"lon":-1.89}""");
        var body = $$"""{"samples":[{{good}},{{badSample.Replace("{now}", now.ToString("O"), StringComparison.Ordinal)}}]}""";

        using var response = await device.PostAsync($"api/ingest/cameras/{cameraId}/telemetry", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        var errors = (await response.ProblemAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("samples[1]", out var sampleErrors), $"{why}: the second sample should be named");
        Assert.False(errors.TryGetProperty("samples[0]", out _), $"{why}: the good sample is not at fault");
        Assert.Contains(mentioned, sampleErrors.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_batch_is_refused_as_too_large_and_an_empty_one_as_invalid()
    {
        var (cameraId, device) = await host.CameraAsync();
        var now = DateTimeOffset.UtcNow;

        using var oversized = await device.PostAsJsonAsync($"api/ingest/cameras/{cameraId}/telemetry",
            new { samples = Enumerable.Range(0, 501).Select(i => new { at = now.AddMilliseconds(-i), lat = 1.0, lon = 1.0 }) });
        using var empty = await device.PostAsJsonAsync($"api/ingest/cameras/{cameraId}/telemetry", new { samples = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Equal("urn:bodycam:problem:payload-too-large", (await oversized.ProblemAsync()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task A_device_speaking_for_another_camera_is_forbidden_and_each_refusal_is_on_the_record()
    {
        var (mine, device) = await host.CameraAsync();
        var (theirs, _) = await host.CameraAsync();

        using var telemetry = await device.PostAsJsonAsync($"api/ingest/cameras/{theirs}/telemetry",
            new { samples = new[] { new { at = DateTimeOffset.UtcNow, lat = 1.0, lon = 1.0 } } });
        using var recording = await device.PostAsJsonAsync($"api/ingest/cameras/{theirs}/recording", new { state = "recording", at = DateTimeOffset.UtcNow });

        Assert.Equal(HttpStatusCode.Forbidden, telemetry.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, recording.StatusCode);
        var refused = (await host.RefusalsAsync()).Where(r => r.ActorId == $"camera-{mine}").ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, r => Assert.Contains(theirs, r.Path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_person_cannot_post_telemetry_even_an_admin()
    {
        var (cameraId, _) = await host.CameraAsync();
        using var admin = host.ClientFor("admin", "admin");

        using var response = await admin.PostAsJsonAsync($"api/ingest/cameras/{cameraId}/telemetry",
            new { samples = new[] { new { at = DateTimeOffset.UtcNow, lat = 1.0, lon = 1.0 } } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Assigning_an_unknown_camera_is_a_404_and_a_bad_assignment_names_its_fields()
    {
        var (cameraId, _) = await host.CameraAsync();
        using var supervisor = host.ClientFor("supervisor1", "supervisor", "B", "supervisor1");
        using var officer = host.ClientFor("officer1", "officer", "B", "officer1");

        using var unknown = await supervisor.PutAsJsonAsync("api/ingest/cameras/CAM-NOBODY-AT-ALL/assignment", new { officerId = "o1", callsign = "B-1", command = "B" });
        using var bad = await supervisor.PutAsJsonAsync($"api/ingest/cameras/{cameraId}/assignment", new { officerId = "no spaces", callsign = "", command = "B!" });
        using var forbidden = await officer.PutAsJsonAsync($"api/ingest/cameras/{cameraId}/assignment", new { officerId = "officer1", callsign = "B-1", command = "B" });

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.ProblemAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("officerId", out _) && errors.TryGetProperty("callsign", out _) && errors.TryGetProperty("command", out _));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }
}
