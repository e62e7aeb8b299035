using System.Buffers.Binary;

namespace BodyCam.Streaming.Viewing;

/// <summary>RFC 6455 frame headers as a server writes them: final, unmasked.</summary>
internal static class WebSocketFrame
{
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;

    /// <summary>The longest header a server writes: two bytes and a 64-bit length.</summary>
    public const int MaxHeaderLength = 10;

    public static int HeaderLength(int payloadLength) => payloadLength <= 125 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10;

    /// <summary>Writes the header for <paramref name="length"/> bytes at the start of <paramref name="header"/>; returns its size.</summary>
    public static int WriteHeader(Span<byte> header, int opcode, int length)
    {
        header[0] = (byte)(0x80 | opcode);
        if (length <= 125)
        {
            header[1] = (byte)length;
            return 2;
        }

        if (length <= ushort.MaxValue)
        {
            header[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)length);
            return 4;
        }

        header[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(header[2..], (ulong)length);
        return 10;
    }

    /// <summary>Writes the header so that it ends at <paramref name="end"/>, where the payload begins; returns its size.</summary>
    public static int WriteHeaderBefore(byte[] buffer, int end, int opcode, int length)
    {
        var size = HeaderLength(length);
        WriteHeader(buffer.AsSpan(end - size, size), opcode, length);
        return size;
    }

    /// <summary>A whole frame (header and payload) in a new array: for the rare messages not prepared in advance.</summary>
    public static byte[] Of(int opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength(payload.Length) + payload.Length];
        var header = WriteHeader(frame, opcode, payload.Length);
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }
}
