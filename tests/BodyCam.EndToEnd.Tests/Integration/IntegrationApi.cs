using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Integration;

internal static class IntegrationApi
{
    /// <summary>The demo CAD system's client, signed in with its client credentials.</summary>
    public static async Task<HttpClient> CadAsync(this BodyCamSystem system) => system.Client(await system.ClientTokenAsync("cad-demo", "demo"));

    public static async Task<JsonElement> SubscribeAsync(this HttpClient cad, WebhookReceiver receiver, string[] types, object? filters = null)
    {
        using var response = await cad.PostAsJsonAsync("api/integrations/webhooks", new { url = receiver.Url, types, filters });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        receiver.Secret = body.GetProperty("secret").GetString();
        return body;
    }

    /// <summary>A command of the test's own, so its subscriptions match only its cameras.</summary>
    public static string NewCommand() => $"T{Guid.NewGuid():N}"[..10];

    public static async Task<IAsyncEnumerator<SseItem<string>>> FollowAsync(HttpClient client, string query, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"api/integrations/events/stream?{query}");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync();
        var events = items.GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("ready", events.Current.EventType);
        return events;
    }

    /// <summary>The next CloudEvent on the feed (heartbeats skipped), within the time given.</summary>
    public static async Task<SseItem<string>> NextEventAsync(this IAsyncEnumerator<SseItem<string>> events, TimeSpan? within = null)
    {
        var next = Task.Run(async () =>
        {
            while (await events.MoveNextAsync())
            {
                if (events.Current.EventType != "heartbeat")
                {
                    return events.Current;
                }
            }

            throw new Xunit.Sdk.XunitException("The feed ended.");
        });
        return await next.WaitAsync(within ?? TimeSpan.FromSeconds(20));
    }
}
