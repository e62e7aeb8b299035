using System.Buffers.Binary;
using System.Security.Cryptography;

namespace BodyCam.Streaming.Talk;

/// <summary>
/// A talk session's audio as evidence, both ways, in the order the server relayed it:
/// <c>BCTALK01</c>, then per packet its offset from the session's start in milliseconds (uint32,
/// big-endian), the speaker (uint8: 0 the camera, 1-255 a viewer), the length (uint16, big-endian)
/// and the Opus packet exactly as it came (48 kHz, 20 ms frames as WebCodecs and the cameras send
/// them). Nothing is decoded or re-encoded: what is kept is what was heard.
/// </summary>
public sealed class TalkRecording(DateTimeOffset startedAt, int maxBytes)
{
    public static ReadOnlySpan<byte> Magic => "BCTALK01"u8;

    public const string MediaType = "application/vnd.bodycam.talk";

    private readonly MemoryStream _bytes = new();

    public long Bytes
    {
        get { lock (_bytes) { return _bytes.Length; } }
    }

    /// <summary>Adds a packet; false when the recording is full (the session must end: nothing said goes unrecorded).</summary>
    public bool Add(byte speaker, ReadOnlySpan<byte> packet, DateTimeOffset? at = null)
    {
        lock (_bytes)
        {
            if (_bytes.Length == 0)
            {
                _bytes.Write(Magic);
            }

            if (_bytes.Length + packet.Length + 7 > maxBytes)
            {
                return false;
            }

            Span<byte> header = stackalloc byte[7];
            var offset = (uint)Math.Clamp(((at ?? DateTimeOffset.UtcNow) - startedAt).TotalMilliseconds, 0, uint.MaxValue);
            BinaryPrimitives.WriteUInt32BigEndian(header, offset);
            header[4] = speaker;
            BinaryPrimitives.WriteUInt16BigEndian(header[5..], (ushort)packet.Length);
            _bytes.Write(header);
            _bytes.Write(packet);
            return true;
        }
    }

    /// <summary>The recording and its SHA-256 (hex), or nothing when no audio passed.</summary>
    public (byte[] Bytes, string Sha256)? Seal()
    {
        lock (_bytes)
        {
            if (_bytes.Length == 0)
            {
                return null;
            }

            var bytes = _bytes.ToArray();
            return (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
    }

    /// <summary>Reads a recording back, packet by packet (for tools and tests).</summary>
    public static IEnumerable<(uint OffsetMs, byte Speaker, byte[] Packet)> Read(byte[] recording)
    {
        if (!recording.AsSpan().StartsWith(Magic))
        {
            throw new InvalidDataException("Not a BodyCam talk recording.");
        }

        for (var at = Magic.Length; at < recording.Length;)
        {
            var offset = BinaryPrimitives.ReadUInt32BigEndian(recording.AsSpan(at));
            var speaker = recording[at + 4];
            var length = BinaryPrimitives.ReadUInt16BigEndian(recording.AsSpan(at + 5));
            yield return (offset, speaker, recording.AsSpan(at + 7, length).ToArray());
            at += 7 + length;
        }
    }
}
