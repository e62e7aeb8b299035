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
    private long _kept;

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

    /// <summary>
    /// What was added since the last <see cref="Kept"/>, to store as the next part while the talk goes
    /// on: a streaming process that dies loses at most the last few seconds of a talk, not all of it.
    /// </summary>
    public (long From, byte[] Bytes) Unkept()
    {
        lock (_bytes)
        {
            return (_kept, _bytes.GetBuffer().AsSpan((int)_kept, (int)(_bytes.Length - _kept)).ToArray());
        }
    }

    /// <summary>The recording up to <paramref name="upTo"/> bytes is stored.</summary>
    public void Kept(long upTo)
    {
        lock (_bytes)
        {
            _kept = Math.Max(_kept, upTo);
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
            return (bytes, Hash(bytes));
        }
    }

    /// <summary>A recording's SHA-256 (hex).</summary>
    public static string Hash(byte[] recording) => Convert.ToHexStringLower(SHA256.HashData(recording));

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
