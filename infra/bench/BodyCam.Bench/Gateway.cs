using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace BodyCam.Bench;

/// <summary>The running system, reached as cameras and operators reach it: through the gateway.</summary>
public sealed class Gateway(Uri address, string password)
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = address,
        Timeout = TimeSpan.FromSeconds(60),
    };

    public HttpClient Http => _http;

    /// <summary>The demo users' password, for signing in to the console as a person would.</summary>
    public string Password => password;

    public async Task<string> UserTokenAsync(string username) =>
        await TokenAsync(new() { ["grant_type"] = "password", ["client_id"] = "bodycam-console", ["username"] = username, ["password"] = password });

    public async Task<string> TokenAsync(Dictionary<string, string> form)
    {
        using var response = await _http.PostAsync("connect/token", new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!
            : throw new InvalidOperationException($"Token refused: {body}");
    }

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Registers and assigns a camera; returns its device token.</summary>
    public async Task<string> EnlistAsync(string cameraId, string officerId, string adminToken, string supervisorToken)
    {
        var registered = await SendAsync(HttpMethod.Post, "api/ingest/cameras", adminToken, new { cameraId, serial = $"SN-{cameraId}", model = "bench" });
        await SendAsync(HttpMethod.Put, $"api/ingest/cameras/{cameraId}/assignment", supervisorToken, new { officerId, callsign = officerId, command = "B" });
        return await TokenAsync(new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = registered.GetProperty("clientId").GetString()!,
            ["client_secret"] = registered.GetProperty("clientSecret").GetString()!,
        });
    }

    /// <summary>
    /// Registers <paramref name="count"/> cameras issued to officers, starts them recording, and waits
    /// until authorisation has heard they are (so they may be watched). Returns each with its device token.
    /// </summary>
    public async Task<(string CameraId, string DeviceToken)[]> RecordingCamerasAsync(string prefix, int count, string adminToken, string supervisorToken, string controlToken)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var cameras = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var cameraId = $"{prefix}-{run}-{i}";
            var device = await EnlistAsync(cameraId, $"{cameraId}-officer", adminToken, supervisorToken);
            using var recording = new HttpRequestMessage(HttpMethod.Post, $"api/ingest/cameras/{cameraId}/recording") { Content = JsonContent.Create(new { state = "recording", at = DateTimeOffset.UtcNow }) };
            recording.Headers.Authorization = new AuthenticationHeaderValue("Bearer", device);
            (await _http.SendAsync(recording)).EnsureSuccessStatusCode();
            return (cameraId, device);
        }));

        foreach (var (cameraId, _) in cameras)
        {
            for (var tries = 0; tries < 100; tries++)
            {
                var state = await SendAsync(HttpMethod.Get, $"api/authorisation/cameras/{cameraId}", controlToken).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : default);
                if (state.ValueKind == JsonValueKind.Object && state.GetProperty("recording").GetBoolean())
                {
                    break;
                }

                await Task.Delay(100);
            }
        }

        return cameras;
    }
}
