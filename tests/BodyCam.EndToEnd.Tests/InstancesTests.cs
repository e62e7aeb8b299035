using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// Several instances of one service, as a cluster runs them: a second process of the service beside
/// the system's own, on the same PostgreSQL and RabbitMQ, with the same settings.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class InstancesTests(BodyCamSystem system)
{
    [Fact]
    public async Task Every_location_instance_answers_the_whole_map_and_knows_every_operation()
    {
        await using var second = await system.StartInstanceAsync("location");
        var here = Spot.Random();
        var fleet = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => system.EnlistAsync()));
        for (var i = 0; i < fleet.Length; i++)
        {
            await fleet[i].ReportAtAsync(here.Offset(0.001 * i, 0));
        }

        await fleet[2].SetRecordingAsync(true);
        await fleet[4].SetRecordingAsync(true);
        // The two instances share the queues: each stored some of these facts, and passed them on.
        using var control = system.Client(await system.TokenForAsync("control1"));
        foreach (var instance in new[] { system.Service("location"), second })
        {
            var map = await Eventually.Async(async () =>
            {
                var features = await OfficersAsync(control, instance, $"bbox={here.Box}");
                return features.Length == 6 && features.Count(f => f.GetProperty("properties").GetProperty("recording").GetBoolean()) == 2 ? features : null;
            }, TimeSpan.FromSeconds(30), $"six officers, two recording, on {instance.Address}");
            for (var i = 0; i < fleet.Length; i++)
            {
                var (lat, _) = (map.Officer(fleet[i].OfficerId) ?? throw new Xunit.Sdk.XunitException($"{fleet[i].OfficerId} is not on {instance.Address}")).Position();
                Assert.Equal(here.Lat + (0.001 * i), lat, 9);
            }
        }

        // An operation opened through the gateway (which knows one location instance) is known to both.
        var ring = new[] { here.Offset(-0.01, -0.01), here.Offset(-0.01, 0.01), here.Offset(0.01, 0.01), here.Offset(-0.01, -0.01) }
            .Select(s => new[] { s.Lon, s.Lat }).ToArray();
        using var opened = await control.PostAsJsonAsync("api/location/operations",
            new { name = "Two instances", kind = "protest", area = new { type = "Polygon", coordinates = new[] { ring } } });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var operationId = (await opened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operationId").GetString()!;
        foreach (var instance in new[] { system.Service("location"), second })
        {
            await Eventually.Async(async () =>
            {
                using var response = await control.GetAsync(new Uri(instance.Address, $"api/location/operations/{operationId}"));
                return response.IsSuccessStatusCode ? "known" : null;
            }, TimeSpan.FromSeconds(15), $"the operation on {instance.Address}");
        }

        // A camera docked is off both maps.
        using var supervisor = await system.ClientForAsync("supervisor1");
        using var docked = await supervisor.DeleteAsync($"api/ingest/cameras/{fleet[5].CameraId}/assignment");
        Assert.True(docked.IsSuccessStatusCode, $"dock: {(int)docked.StatusCode}");
        foreach (var instance in new[] { system.Service("location"), second })
        {
            await Eventually.Async(async () => (await OfficersAsync(control, instance, $"bbox={here.Box}")).Length == 5 ? "docked" : null,
                TimeSpan.FromSeconds(30), $"the docked camera off the map on {instance.Address}");
        }
    }

    [Fact]
    public async Task The_audit_chain_has_one_writer_and_another_instance_takes_over_when_it_dies()
    {
        var second = await system.StartInstanceAsync("audit");
        try
        {
            var before = await system.EnlistAsync();
            await system.AuditEventsEventuallyAsync($"cameraId={before.CameraId}&type=CameraAssigned");

            // The system's own audit, first to stand, is the chain's writer; it dies.
            await system.Service("audit").KillAsync();
            var after = await system.EnlistAsync();

            using var compliance = system.Client(await system.TokenForAsync("compliance1"));
            await Eventually.Async(async () =>
            {
                var found = await compliance.GetFromJsonAsync<JsonElement>(new Uri(second.Address, $"api/audit/events?cameraId={after.CameraId}&type=CameraAssigned"));
                return found.GetProperty("items").GetArrayLength() == 1 ? "recorded" : null;
            }, TimeSpan.FromSeconds(30), "the fact made after the writer died, recorded by the other instance");

            // One chain, unforked: it verifies from the first entry to the last, on the instance that took over.
            var verified = await compliance.GetFromJsonAsync<JsonElement>(new Uri(second.Address, "api/audit/verify"));
            Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());
        }
        finally
        {
            await system.RestartAsync("audit");
            await second.DisposeAsync();
        }
    }

    private static async Task<JsonElement[]> OfficersAsync(HttpClient client, ServiceProcess instance, string query)
    {
        using var response = await client.GetAsync(new Uri(instance.Address, $"api/location/officers?{query}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET officers?{query} on {instance.Address}: {(int)response.StatusCode} {body}");
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("features").EnumerateArray().Select(f => f.Clone())];
    }
}
