using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace BodyCam.Streaming.Viewing;

/// <summary>
/// The server side of a WebSocket (RFC 6455), written for fan-out: a fragment goes out as a frame
/// header from a reused 10-byte buffer followed by the shared fragment buffer itself. The framework's
/// WebSocket copies each payload into a rented send buffer first, which under fan-out costs a copy
/// and, when the pool runs dry, an allocation per fragment per viewer (measured: about 8 KB).
/// Only what a live viewer needs: binary frames out, close and ping/pong both ways, no extensions.
/// </summary>
public sealed class LiveSocket
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const int MaxClientFrame = 64 * 1024;

    private readonly Stream _stream;
    private readonly byte[] _header = new byte[10];
    private readonly SemaphoreSlim _writing = new(1, 1);
    private int _closeSent;

    private LiveSocket(Stream stream) => _stream = stream;

    /// <summary>Whether the request asks for a WebSocket this server can speak (version 13).</summary>
    public static bool IsUpgrade(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && request.HttpContext.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        && request.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase)
        && request.Headers.SecWebSocketVersion.ToString() == "13"
        && IsValidKey(request.Headers.SecWebSocketKey.ToString());

    /// <summary>Answers 101 Switching Protocols and takes over the connection.</summary>
    public static async Task<LiveSocket> AcceptAsync(HttpContext http)
    {
        var key = http.Request.Headers.SecWebSocketKey.ToString();
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
        http.Response.Headers.Connection = "Upgrade";
        http.Response.Headers.Upgrade = "websocket";
        http.Response.Headers.SecWebSocketAccept = accept;
        // A browser that offered its token as a subprotocol also offered ours: echo ours, never the token.
        if (OffersSubprotocol(http.Request, ViewerAdmission.Subprotocol))
        {
            http.Response.Headers.SecWebSocketProtocol = ViewerAdmission.Subprotocol;
        }

        var stream = await http.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
        return new LiveSocket(stream);
    }

    private static bool OffersSubprotocol(HttpRequest request, string protocol)
    {
        foreach (var offered in request.Headers.SecWebSocketProtocol)
        {
            foreach (var name in (offered ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (name == protocol)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Sends one binary message; the payload is written as it is, never copied here.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendBinaryAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var headerLength = WriteHeader(_header, opcode: 0x2, payload.Length);
            await _stream.WriteAsync(_header.AsMemory(0, headerLength), cancellationToken);
            await _stream.WriteAsync(payload, cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Sends the close frame with its status and reason (at most 123 bytes), once.</summary>
    public async Task CloseAsync(int status, string reason, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closeSent, 1) == 1)
        {
            return;
        }

        var text = Encoding.UTF8.GetBytes(reason);
        var payload = new byte[2 + Math.Min(text.Length, 123)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)status);
        text.AsSpan(0, payload.Length - 2).CopyTo(payload.AsSpan(2));
        await SendControlAsync(0x8, payload, cancellationToken);
    }

    /// <summary>
    /// Reads what the viewer sends until it closes or the connection ends: answers pings, echoes a
    /// close, ignores data. Returns when the viewer is gone.
    /// </summary>
    public async Task ListenAsync(CancellationToken cancellationToken)
    {
        var head = new byte[14];
        var payload = new byte[125];
        while (true)
        {
            await _stream.ReadExactlyAsync(head.AsMemory(0, 2), cancellationToken);
            var opcode = head[0] & 0x0F;
            var masked = (head[1] & 0x80) != 0;
            long length = head[1] & 0x7F;
            if (length == 126)
            {
                await _stream.ReadExactlyAsync(head.AsMemory(2, 2), cancellationToken);
                length = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(2));
            }
            else if (length == 127)
            {
                await _stream.ReadExactlyAsync(head.AsMemory(2, 8), cancellationToken);
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(2));
            }

            if (!masked || length > MaxClientFrame || (opcode >= 0x8 && length > 125))
            {
                // A client must mask its frames (RFC 6455 5.1), and a viewer has nothing large to say.
                await CloseAsync(1002, "protocol error", cancellationToken);
                return;
            }

            var mask = new byte[4];
            await _stream.ReadExactlyAsync(mask, cancellationToken);
            if (opcode >= 0x8)
            {
                await _stream.ReadExactlyAsync(payload.AsMemory(0, (int)length), cancellationToken);
                for (var i = 0; i < length; i++)
                {
                    payload[i] ^= mask[i % 4];
                }

                if (opcode == 0x8)
                {
                    var status = length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : 1000;
                    await CloseAsync(status is >= 1000 and < 5000 ? status : 1000, "", cancellationToken);
                    return;
                }

                if (opcode == 0x9)
                {
                    await SendControlAsync(0xA, payload.AsMemory(0, (int)length).ToArray(), cancellationToken);
                }

                continue;
            }

            // Data from the viewer means nothing here: read past it.
            var skip = new byte[Math.Min(length, 4096)];
            for (var left = length; left > 0;)
            {
                var read = await _stream.ReadAsync(skip.AsMemory(0, (int)Math.Min(left, skip.Length)), cancellationToken);
                if (read == 0)
                {
                    return;
                }

                left -= read;
            }
        }
    }

    private async Task SendControlAsync(int opcode, byte[] payload, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var frame = new byte[2 + payload.Length];
            WriteHeader(frame, opcode, payload.Length);
            payload.CopyTo(frame, 2);
            await _stream.WriteAsync(frame, cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>A final, unmasked frame header for <paramref name="length"/> bytes; returns its size.</summary>
    internal static int WriteHeader(Span<byte> header, int opcode, int length)
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

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[24];
        return Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }
}
