using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>What the tests do often through the gateway: register cameras, read the audit record.</summary>
internal static class Api
{
    public static string NewCameraId() => $"CAM-{Guid.NewGuid():N}"[..16];

    public static async Task<JsonElement> RegisterCameraAsync(this BodyCamSystem system, string cameraId)
    {
        using var admin = await system.ClientForAsync("admin");
        using var response = await admin.PostAsJsonAsync("api/ingest/cameras", new { cameraId, serial = "SN-" + cameraId, model = "Axon Body 4" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"Registering {cameraId}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The audit entries a compliance officer sees for a query string.</summary>
    public static async Task<JsonElement[]> AuditEventsAsync(this BodyCamSystem system, string query)
    {
        using var compliance = await system.ClientForAsync("compliance1");
        using var response = await compliance.GetAsync($"api/audit/events?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET api/audit/events?{query}: {(int)response.StatusCode} {body}");
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>Waits until the audit record holds at least <paramref name="count"/> entries for the query.</summary>
    public static Task<JsonElement[]> AuditEventsEventuallyAsync(this BodyCamSystem system, string query, int count = 1, TimeSpan? within = null) =>
        Eventually.Async(
            async () =>
            {
                var items = await system.AuditEventsAsync(query);
                return items.Length >= count ? items : null;
            },
            within ?? TimeSpan.FromSeconds(30),
            $"{count} audit entries for '{query}'");

    /// <summary>The next notification on a camera's feed, skipping heartbeats.</summary>
    public static async Task<(string Type, JsonElement Data)> NextNotificationAsync(this IAsyncEnumerator<System.Net.ServerSentEvents.SseItem<string>> events)
    {
        while (await events.MoveNextAsync())
        {
            if (events.Current.EventType != "heartbeat")
            {
                return (events.Current.EventType, JsonDocument.Parse(events.Current.Data).RootElement.Clone());
            }
        }

        throw new Xunit.Sdk.XunitException("The notification feed ended.");
    }
}
