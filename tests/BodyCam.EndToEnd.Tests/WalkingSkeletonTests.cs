using System.Net;
using System.Text;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// The first fact's whole journey: an admin registers a camera through the gateway; ingest stores
/// it, its subscription publishes it, audit chains it, and compliance reads it back.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class WalkingSkeletonTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_registered_camera_reaches_the_audit_record_with_who_registered_it_and_when()
    {
        var before = DateTimeOffset.UtcNow;
        var cameraId = Api.NewCameraId();

        var registered = await system.RegisterCameraAsync(cameraId);

        Assert.Equal(cameraId, registered.GetProperty("cameraId").GetString());
        Assert.Equal($"camera-{cameraId}", registered.GetProperty("clientId").GetString());
        Assert.True(registered.GetProperty("clientSecret").GetString()!.Length >= 32);

        var entries = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 2);
        var registration = Assert.Single(entries, e => e.GetProperty("type").GetString() == "CameraRegistered");
        Assert.Equal("admin", registration.GetProperty("actorId").GetString());
        Assert.Equal(cameraId, registration.GetProperty("subject").GetString());
        Assert.Equal("Axon Body 4", registration.GetProperty("data").GetProperty("model").GetString());
        var at = registration.GetProperty("at").GetDateTimeOffset();
        Assert.InRange(at, before.AddSeconds(-5), DateTimeOffset.UtcNow);
        Assert.Single(entries, e => e.GetProperty("type").GetString() == "CameraCredentialsIssued");
    }

    [Fact]
    public async Task Audit_entries_are_chained_each_to_the_one_before()
    {
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 2);

        var all = new List<JsonElement>();
        long? after = null;
        do
        {
            var page = await system.AuditEventsAsync($"limit=50{(after is null ? "" : $"&after={after}")}");
            all.AddRange(page);
            after = page.Length == 50 ? page[^1].GetProperty("seq").GetInt64() : null;
        }
        while (after is not null);

        Assert.Equal(1, all[0].GetProperty("seq").GetInt64());
        Assert.Equal(new string('0', 64), all[0].GetProperty("prevHash").GetString());
        for (var i = 1; i < all.Count; i++)
        {
            Assert.Equal(all[i - 1].GetProperty("seq").GetInt64() + 1, all[i].GetProperty("seq").GetInt64());
            Assert.Equal(all[i - 1].GetProperty("hash").GetString(), all[i].GetProperty("prevHash").GetString());
        }
    }

    [Fact]
    public async Task A_camera_signs_in_with_the_credentials_it_was_given_and_speaks_only_as_itself()
    {
        var cameraId = Api.NewCameraId();
        var registered = await system.RegisterCameraAsync(cameraId);

        var token = await system.ClientTokenAsync(registered.GetProperty("clientId").GetString()!, registered.GetProperty("clientSecret").GetString()!);

        var claims = JsonDocument.Parse(Base64UrlDecode(token.Split('.')[1])).RootElement;
        Assert.Equal("device", claims.GetProperty("role").GetString());
        Assert.Equal(cameraId, claims.GetProperty("camera_id").GetString());
        Assert.Equal("bodycam", claims.GetProperty("aud").GetString());
    }

    [Fact]
    public async Task New_credentials_for_a_camera_replace_the_old_secret()
    {
        var cameraId = Api.NewCameraId();
        var registered = await system.RegisterCameraAsync(cameraId);
        var clientId = registered.GetProperty("clientId").GetString()!;
        var oldSecret = registered.GetProperty("clientSecret").GetString()!;

        using var admin = await system.ClientForAsync("admin");
        using var reissued = await admin.PostAsync($"api/ingest/cameras/{cameraId}/credentials", null);
        Assert.Equal(HttpStatusCode.OK, reissued.StatusCode);
        var newSecret = JsonDocument.Parse(await reissued.Content.ReadAsStringAsync()).RootElement.GetProperty("clientSecret").GetString()!;

        Assert.NotEqual(oldSecret, newSecret);
        Assert.NotEmpty(await system.ClientTokenAsync(clientId, newSecret));
        using var refused = await system.PostTokenRequestAsync(new()
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = oldSecret,
        });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await system.AuditEventsEventuallyAsync($"cameraId={cameraId}&type=CameraCredentialsIssued", count: 2);
    }

    [Fact]
    public async Task The_gateway_is_ready_only_with_every_service_and_names_each()
    {
        using var http = system.Client();
        using var response = await http.GetAsync("health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
        foreach (var service in BodyCamSystem.ServiceNames)
        {
            Assert.Equal("Healthy", checks.GetProperty(service).GetProperty("status").GetString());
        }

        Assert.Equal("Healthy", checks.GetProperty("postgres").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Every_service_answers_liveness_and_exports_metrics()
    {
        foreach (var service in BodyCamSystem.ServiceNames.Select(system.Service).Append(system.Gateway))
        {
            using var http = system.Client(address: service.Address);
            using var live = await http.GetAsync("health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            var metrics = await http.GetStringAsync("metrics");
            Assert.Contains("# TYPE", metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_gateway_serves_each_services_OpenAPI_document()
    {
        using var http = await system.ClientForAsync("admin");
        foreach (var service in BodyCamSystem.ServiceNames)
        {
            using var response = await http.GetAsync($"openapi/{service}.json");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        }

        var ingest = JsonDocument.Parse(await http.GetStringAsync("openapi/ingest.json")).RootElement;
        Assert.True(ingest.GetProperty("paths").TryGetProperty("/api/ingest/cameras", out _));
    }

    private static string Base64UrlDecode(string segment)
    {
        var padded = segment.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded));
    }
}
