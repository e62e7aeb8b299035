using System.Security.Claims;
using BodyCam.Authorisation.Grants;
using BodyCam.ServiceDefaults.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace BodyCam.Authorisation.Tokens;

/// <summary>
/// Stream tokens: JWTs signed with authorisation's own RSA key, naming the grant, the camera and the
/// viewer, and expiring with the grant. Streaming verifies them against the published keys without
/// calling authorisation, and learns of revocation from the grant's events.
/// </summary>
public sealed class StreamTokens
{
    public const string Issuer = "bodycam-authorisation";
    public const string Audience = "bodycam-streaming";

    private readonly RsaSecurityKey _key;
    private readonly SigningCredentials _credentials;

    public StreamTokens(IConfiguration configuration, ILogger<StreamTokens> log)
    {
        _key = SigningKey.Load(configuration["Authorisation:SigningKeyFile"], log);
        _credentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256);
        var publicKey = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.Rsa.ExportParameters(false)) { KeyId = _key.KeyId });
        publicKey.Use = "sig";
        publicKey.Alg = SecurityAlgorithms.RsaSha256;
        Keys = new { keys = new[] { new { kty = publicKey.Kty, use = publicKey.Use, alg = publicKey.Alg, kid = publicKey.Kid, n = publicKey.N, e = publicKey.E } } };
    }

    /// <summary>The id (JWKS kid) of the key stream tokens are signed with.</summary>
    public string KeyId => _key.KeyId;

    /// <summary>The JSON Web Key Set with the public key, as published.</summary>
    public object Keys { get; }

    /// <summary>The grant and viewer a stream token names when it is ours, unaltered and unexpired; otherwise null.</summary>
    public async Task<(string GrantId, string ViewerId, string CameraId)?> ValidateAsync(string token)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(5),
        });
        return result.IsValid && result.SecurityToken is JsonWebToken jwt
            && jwt.TryGetClaim("grant_id", out var grant) && jwt.TryGetClaim("camera_id", out var camera)
            ? (grant.Value, jwt.Subject, camera.Value)
            : null;
    }

    public string Issue(ViewGrant grant, DateTimeOffset now) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = grant.ExpiresAt!.Value.UtcDateTime,
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", grant.ViewerId),
                new Claim("grant_id", grant.GrantId),
                new Claim("camera_id", grant.CameraId!),
                new Claim("purpose", grant.Purpose),
                new Claim("jti", Guid.NewGuid().ToString("N")),
                // What a viewer marks or says on this grant is filed under its incident.
                .. grant.IncidentRef is { } incident ? [new Claim("incident_ref", incident)] : Array.Empty<Claim>(),
            ]),
            SigningCredentials = _credentials,
        });
}

public static class PublishKeys
{
    public static RouteHandlerBuilder MapStreamTokenKeys(this RouteGroupBuilder authorisation) =>
        authorisation.MapGet("/.well-known/jwks.json", (StreamTokens tokens) => TypedResults.Ok(tokens.Keys))
            .AllowAnonymous()
            .WithName("StreamTokenKeys")
            .WithSummary("The public keys that verify stream tokens (JWKS).");
}
