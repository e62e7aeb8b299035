using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>A registered camera issued to an officer, with its own device token.</summary>
internal sealed record TestCamera(string CameraId, string OfficerId, HttpClient Device);

/// <summary>A place of the test's own, far from every other test's officers on the shared map.</summary>
internal sealed record Spot(double Lat, double Lon)
{
    public static Spot Random() => new(System.Random.Shared.Next(-50_00, 50_00) / 100.0, System.Random.Shared.Next(-170_00, 170_00) / 100.0);

    public Spot Offset(double north, double east) => new(Lat + north, Lon + east);

    /// <summary>minLon,minLat,maxLon,maxLat of a box half a degree around this spot.</summary>
    public string Box => FormattableString.Invariant($"{Lon - 0.5},{Lat - 0.5},{Lon + 0.5},{Lat + 0.5}");
}

/// <summary>Cameras issued to officers, reporting through the gateway as real cameras would.</summary>
internal static class Fleet
{
    public static async Task<TestCamera> EnlistAsync(this BodyCamSystem system, string? officerId = null, string command = "B")
    {
        var cameraId = Api.NewCameraId();
        var officer = officerId ?? $"off-{Guid.NewGuid():N}"[..12];
        var registered = await system.RegisterCameraAsync(cameraId);
        using var supervisor = await system.ClientForAsync("supervisor1");
        using var assigned = await supervisor.PutAsJsonAsync($"api/ingest/cameras/{cameraId}/assignment",
            new { officerId = officer, callsign = $"{command}-{officer[^4..]}", command });
        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var token = await system.ClientTokenAsync(registered.GetProperty("clientId").GetString()!, registered.GetProperty("clientSecret").GetString()!);
        return new TestCamera(cameraId, officer, system.Client(token));
    }

    /// <summary>A camera issued to an officer and recording, once authorisation knows it is (so it may be watched).</summary>
    public static async Task<TestCamera> RecordingCameraAsync(this BodyCamSystem system, string? officerId = null)
    {
        var camera = await system.EnlistAsync(officerId);
        await camera.SetRecordingAsync(true);
        await Eventually.Async(() => system.KnownToAuthorisationAsync(camera.CameraId, recording: true), what: $"authorisation to see {camera.CameraId} recording");
        return camera;
    }

    /// <summary>Authorisation's view of a camera when it matches <paramref name="recording"/> and has a wearer; otherwise null.</summary>
    public static async Task<object?> KnownToAuthorisationAsync(this BodyCamSystem system, string cameraId, bool recording)
    {
        using var control = await system.ClientForAsync("control1");
        using var response = await control.GetAsync($"api/authorisation/cameras/{cameraId}");
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var camera = await response.Content.ReadFromJsonAsync<JsonElement>();
        return camera.GetProperty("recording").GetBoolean() == recording && camera.GetProperty("wearerId").ValueKind == JsonValueKind.String ? camera : null;
    }

    public static Task<HttpResponseMessage> ReportAsync(this TestCamera camera, params (DateTimeOffset At, Spot Where)[] samples) =>
        camera.Device.PostAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/telemetry", new
        {
            samples = samples.Select(s => new { at = s.At, lat = s.Where.Lat, lon = s.Where.Lon, accuracyM = 5.0, batteryPct = 80.0 }),
        });

    public static async Task ReportAtAsync(this TestCamera camera, Spot where, DateTimeOffset? at = null)
    {
        using var response = await camera.ReportAsync((at ?? DateTimeOffset.UtcNow, where));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public static async Task SetRecordingAsync(this TestCamera camera, bool recording, DateTimeOffset? at = null)
    {
        using var response = await camera.Device.PostAsJsonAsync($"api/ingest/cameras/{camera.CameraId}/recording",
            new { state = recording ? "recording" : "stopped", at = at ?? DateTimeOffset.UtcNow });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>The features a control-room operator sees for a query of the map.</summary>
    public static async Task<JsonElement[]> MapAsync(this BodyCamSystem system, string query, string reader = "control1")
    {
        using var http = await system.ClientForAsync(reader);
        using var response = await http.GetAsync($"api/location/officers?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET officers?{query}: {(int)response.StatusCode} {body}");
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("features").EnumerateArray().Select(f => f.Clone())];
    }

    /// <summary>Waits until the map answer for a query satisfies a condition, and returns it.</summary>
    public static Task<JsonElement[]> MapEventuallyAsync(this BodyCamSystem system, string query, Func<JsonElement[], bool> until, string what) =>
        Eventually.Async(async () =>
        {
            var features = await system.MapAsync(query);
            return until(features) ? features : null;
        }, TimeSpan.FromSeconds(30), what);

    public static JsonElement? Officer(this JsonElement[] features, string officerId) =>
        features.Where(f => f.GetProperty("properties").GetProperty("officerId").GetString() == officerId).Cast<JsonElement?>().FirstOrDefault();

    public static (double Lat, double Lon) Position(this JsonElement feature)
    {
        var c = feature.GetProperty("geometry").GetProperty("coordinates");
        return (c[1].GetDouble(), c[0].GetDouble());
    }
}
