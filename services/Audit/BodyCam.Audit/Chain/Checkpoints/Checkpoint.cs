using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BodyCam.Audit.Chain.Checkpoints;

/// <summary>
/// A signed statement that the chain's entry <see cref="Id"/> had <see cref="Hash"/> at
/// <see cref="At"/>. The signature is RSA PKCS#1 v1.5 with SHA-256 over the UTF-8 text
/// <c>"{seq}\n{hash}\n{at as ISO 8601 UTC, 7 fractional digits}"</c>; anyone with the published public
/// key can check it, and from it every entry before.
/// </summary>
public sealed record Checkpoint(long Id, string Hash, DateTimeOffset At, string Signature, string KeyId)
{
    public static byte[] SignedText(long seq, string hash, DateTimeOffset at) =>
        Encoding.UTF8.GetBytes($"{seq}\n{hash}\n{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)}");

    public bool IsSignedBy(RSA key) =>
        key.VerifyData(SignedText(Id, Hash, At), Convert.FromBase64String(Signature), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
}
