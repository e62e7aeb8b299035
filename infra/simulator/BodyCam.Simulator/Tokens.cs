using System.Text.Json;

namespace BodyCam.Simulator;

/// <summary>Tokens for the demo people the simulator acts as (admin, a supervisor), fetched again before they expire.</summary>
public sealed class Tokens(HttpClient http, string password)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> _tokens = new();
    private readonly SemaphoreSlim _gate = new(1);

    public async Task<string> ForAsync(string username, CancellationToken stop)
    {
        if (_tokens.TryGetValue(username, out var known) && known.Until > DateTimeOffset.UtcNow)
        {
            return known.Token;
        }

        await _gate.WaitAsync(stop);
        try
        {
            if (_tokens.TryGetValue(username, out known) && known.Until > DateTimeOffset.UtcNow)
            {
                return known.Token;
            }

            var token = await FetchAsync(http, new() { ["grant_type"] = "password", ["client_id"] = "bodycam-console", ["username"] = username, ["password"] = password }, stop);
            _tokens[username] = token;
            return token.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    internal static async Task<(string Token, DateTimeOffset Until)> FetchAsync(HttpClient http, Dictionary<string, string> form, CancellationToken stop)
    {
        using var response = await http.PostAsync("connect/token", new FormUrlEncodedContent(form), stop);
        var body = await response.Content.ReadAsStringAsync(stop);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Token refused: {body}");
        }

        var json = JsonDocument.Parse(body).RootElement;
        var lifetime = TimeSpan.FromSeconds(json.TryGetProperty("expires_in", out var e) ? e.GetInt32() : 3600);
        return (json.GetProperty("access_token").GetString()!, DateTimeOffset.UtcNow + (lifetime * 0.8));
    }
}

/// <summary>A camera's own token (client credentials), fetched again before it expires.</summary>
public sealed class DeviceToken(HttpClient http, string clientId, string clientSecret)
{
    private readonly SemaphoreSlim _gate = new(1);
    private (string Token, DateTimeOffset Until) _token;

    public async Task<string> GetAsync(CancellationToken stop)
    {
        if (_token.Until > DateTimeOffset.UtcNow)
        {
            return _token.Token;
        }

        await _gate.WaitAsync(stop);
        try
        {
            if (_token.Until <= DateTimeOffset.UtcNow)
            {
                _token = await Tokens.FetchAsync(http, new() { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = clientSecret }, stop);
            }

            return _token.Token;
        }
        finally
        {
            _gate.Release();
        }
    }
}
