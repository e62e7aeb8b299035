using System.Security.Cryptography;
using System.Text.Json;

namespace BodyCam.Audit.Chain;

/// <summary>
/// The hash that links an audit entry to the one before it. The canonical form is a compact JSON
/// array <c>[seq, prevHash, at, type, messageId, actorId, subject, data]</c> (at as ISO 8601 UTC
/// with 7 fractional digits, data the event's JSON exactly as stored), UTF-8 encoded, hashed with
/// SHA-256 and written as lower-case hex. Anyone can recompute it from an export (this file is also
/// compiled into the stand-alone verifier, <c>infra/verifier</c>, so it depends on nothing else).
/// </summary>
public static class AuditHash
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Compute(long seq, string prevHash, DateTimeOffset at, string type, Guid messageId, string actorId, string subject, string data) =>
        Convert.ToHexStringLower(SHA256.HashData(Canonical(seq, prevHash, at, type, messageId, actorId, subject, data)));

    /// <summary>
    /// The entry's leaf in the log's Merkle tree (RFC 9162): SHA-256 of the byte 0x00 followed by the
    /// same canonical bytes, in base64 as the tree's proofs give hashes.
    /// </summary>
    public static string LeafHash(long seq, string prevHash, DateTimeOffset at, string type, Guid messageId, string actorId, string subject, string data)
    {
        var canonical = Canonical(seq, prevHash, at, type, messageId, actorId, subject, data);
        var leaf = new byte[canonical.Length + 1];
        canonical.CopyTo(leaf, 1);
        return Convert.ToBase64String(SHA256.HashData(leaf));
    }

    /// <summary>The canonical bytes of an entry: the compact JSON array above, UTF-8.</summary>
    public static byte[] Canonical(long seq, string prevHash, DateTimeOffset at, string type, Guid messageId, string actorId, string subject, string data)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteNumberValue(seq);
            json.WriteStringValue(prevHash);
            json.WriteStringValue(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStringValue(type);
            json.WriteStringValue(messageId.ToString("D"));
            json.WriteStringValue(actorId);
            json.WriteStringValue(subject);
            json.WriteStringValue(data);
            json.WriteEndArray();
        }

        return buffer.ToArray();
    }
}
