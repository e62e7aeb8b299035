using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace BodyCam.Streaming.Viewing;

/// <summary>
/// Verifies stream tokens locally against authorisation's published keys (JWKS): fetched over
/// resilient HTTP, cached, and fetched again when a token names a key id we do not have (a rotated
/// key), at most once every ten seconds so forged key ids cannot make us hammer authorisation.
/// </summary>
public sealed class StreamTokenVerifier(IHttpClientFactory http, IConfiguration configuration, TimeProvider time, ILogger<StreamTokenVerifier> log)
{
    public const string Issuer = "bodycam-authorisation";
    public const string Audience = "bodycam-streaming";

    private static readonly TimeSpan RefreshAtMostEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly JsonWebTokenHandler _handler = new();
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private volatile IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

    private Uri KeysUrl => new(configuration["Streaming:TokenKeysUrl"]
        ?? new Uri(new Uri(configuration["Identity:Authority"] ?? throw new InvalidOperationException("Identity:Authority is not set.")), "api/authorisation/.well-known/jwks.json").ToString());

    /// <summary>The token's claims when it is valid; otherwise why not. Throws <see cref="KeysUnavailableException"/> when no keys can be had.</summary>
    public async Task<(JsonWebToken? Token, string? Refusal)> VerifyAsync(string token, CancellationToken cancellationToken)
    {
        JsonWebToken read;
        try
        {
            read = _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return (null, "The stream token is not a JWT.");
        }

        var keys = await KeysAsync(read.Kid, cancellationToken);
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKeys = keys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(5),
            LifetimeValidator = (notBefore, expires, _, parameters) =>
                expires is { } e && time.GetUtcNow().UtcDateTime < e.Add(parameters.ClockSkew)
                && (notBefore is not { } n || n.Subtract(parameters.ClockSkew) <= time.GetUtcNow().UtcDateTime),
        });
        if (result.IsValid)
        {
            return ((JsonWebToken)result.SecurityToken, null);
        }

        return (null, result.Exception switch
        {
            SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "The stream token has expired.",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The stream token's signature is not valid.",
            SecurityTokenInvalidAudienceException => "The token is not a stream token.",
            SecurityTokenInvalidIssuerException => "The stream token is not from authorisation.",
            var other => $"The stream token was refused ({other?.GetType().Name ?? "invalid"}).",
        });
    }

    private async Task<IReadOnlyList<SecurityKey>> KeysAsync(string? kid, CancellationToken cancellationToken)
    {
        var keys = _keys;
        var now = time.GetUtcNow();
        var known = kid is null || keys.Any(k => k.KeyId == kid);
        if (keys.Count > 0 && now - _fetchedAt < MaxAge && (known || now - _fetchedAt < RefreshAtMostEvery))
        {
            return keys;
        }

        await _fetching.WaitAsync(cancellationToken);
        try
        {
            if (_keys != keys && _keys.Count > 0)
            {
                return _keys;
            }

            try
            {
                var json = await http.CreateClient(nameof(StreamTokenVerifier)).GetStringAsync(KeysUrl, cancellationToken);
                _keys = [.. new JsonWebKeySet(json).GetSigningKeys()];
                _fetchedAt = time.GetUtcNow();
                log.LogInformation("Fetched {Count} stream token keys from {Url}", _keys.Count, KeysUrl);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException or System.Text.Json.JsonException)
            {
                if (keys.Count == 0)
                {
                    throw new KeysUnavailableException($"The stream token keys could not be fetched from {KeysUrl}.", e);
                }

                // Keep verifying with the keys we have; a rotated key will be picked up on a later try.
                log.LogWarning(e, "Could not refresh the stream token keys from {Url}; using the cached ones", KeysUrl);
                _fetchedAt = time.GetUtcNow();
            }

            return _keys;
        }
        finally
        {
            _fetching.Release();
        }
    }
}

public sealed class KeysUnavailableException(string message, Exception inner) : Exception(message, inner);
