using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BodyCam.Audit.Chain.Checkpoints;

/// <summary>
/// A signed statement about the record at <see cref="At"/>: the chain's entry <see cref="Id"/> had
/// <see cref="Hash"/>, and the Merkle tree of the first <see cref="Id"/> entries has root
/// <see cref="Root"/>. Signed twice: the chain statement with RSA PKCS#1 v1.5 and SHA-256 over the
/// UTF-8 text <c>"{seq}\n{hash}\n{at as ISO 8601 UTC, 7 fractional digits}"</c> (as since the first
/// release), and the tree as a C2SP checkpoint, an Ed25519 signed note (<see cref="Note"/>, with any
/// witness cosignatures). <see cref="Number"/> is its place among checkpoints, from 1, so a
/// missing or reordered one shows. Checkpoints signed before the tree existed have no root or note.
/// </summary>
public sealed record Checkpoint(long Id, string Hash, DateTimeOffset At, string Signature, string KeyId, string? Root = null, string? Note = null, long Number = 0)
{
    public static byte[] SignedText(long seq, string hash, DateTimeOffset at) =>
        Encoding.UTF8.GetBytes($"{seq}\n{hash}\n{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)}");

    public bool IsSignedBy(RSA key) =>
        key.VerifyData(SignedText(Id, Hash, At), Convert.FromBase64String(Signature), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
}

/// <summary>The event that puts a checkpoint on the checkpoints' own append-only stream, in the order they were signed.</summary>
public sealed record CheckpointSigned(Checkpoint Checkpoint);
