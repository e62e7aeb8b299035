using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace BodyCam.Testing;

/// <summary>
/// Makes tokens that are wrong in exactly one way (expired, for another audience, signed with
/// another key) so the tests can show each is refused.
/// </summary>
public static class TokenForge
{
    public static string Sign(RSA key, string issuer, string audience, DateTime expires, IDictionary<string, object> claims)
    {
        var modulus = key.ExportParameters(false).Modulus!;
        var signingKey = new RsaSecurityKey(key)
        {
            KeyId = Base64UrlEncoder.Encode(SHA256.HashData(modulus))[..16],
            // Tests dispose their keys; a cached provider would outlive the key it wraps.
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            Claims = claims,
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256),
        });
    }

    public static RSA LoadKey(string pemFile)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(pemFile));
        return rsa;
    }
}
