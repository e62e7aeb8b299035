using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace BodyCam.Streaming.Viewing;

/// <summary>
/// The server side of a WebSocket (RFC 6455), written for fan-out: each fragment is already one
/// whole binary message in its shared buffer (frame header written once, just before the bytes),
/// and goes to a viewer with one write, never copied for it.
/// <para>
/// On a plain TCP connection the socket is taken over from Kestrel once the request is read: the
/// handshake answer and every frame are sent straight from the shared buffer to the socket (one
/// <c>send</c> per fragment, as the floor relay does), and what the viewer sends is read from the
/// connection's input as Kestrel receives it. Kestrel's own upgrade stream copies each write into its
/// output pipe first; it is used only where there is no socket to write to (TLS, other transports).
/// </para>
/// Only what a live viewer needs: binary frames out, close and ping/pong both ways, no extensions.
/// </summary>
public sealed class LiveSocket
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const int MaxClientFrame = 64 * 1024;

    private readonly HttpContext _http;
    private readonly Socket? _socket;
    private readonly Stream? _stream;
    private readonly PipeReader _input;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private int _closeSent;

    private LiveSocket(HttpContext http, Socket? socket, Stream? stream, PipeReader input)
    {
        _http = http;
        _socket = socket;
        _stream = stream;
        _input = input;
    }

    /// <summary>
    /// When <paramref name="aborted"/> fires, a socket taken over is shut both ways, so a send waiting
    /// on a viewer that stopped reading fails at once and nothing more goes out.
    /// </summary>
    public CancellationTokenRegistration AbortOn(CancellationToken aborted) =>
        _socket is null
            ? default
            : aborted.UnsafeRegister(static state =>
            {
                try
                {
                    ((Socket)state!).Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }, _socket);

    /// <summary>Whether the request asks for a WebSocket this server can speak (version 13).</summary>
    public static bool IsUpgrade(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && request.HttpContext.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        && request.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase)
        && request.Headers.SecWebSocketVersion.ToString() == "13"
        && IsValidKey(request.Headers.SecWebSocketKey.ToString());

    /// <summary>
    /// Answers 101 Switching Protocols and takes over the connection: the socket itself when the
    /// connection is plain TCP (and <paramref name="direct"/> allows it), Kestrel's upgrade otherwise.
    /// </summary>
    public static async Task<LiveSocket> AcceptAsync(HttpContext http, bool direct, int sendBufferBytes)
    {
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(http.Request.Headers.SecWebSocketKey.ToString() + AcceptGuid)));
        // A browser that offered its token as a subprotocol also offered ours: echo ours, never the token.
        var subprotocol = OffersSubprotocol(http.Request, ViewerAdmission.Subprotocol) ? ViewerAdmission.Subprotocol : null;
        if (direct
            && http.Features.Get<ITlsConnectionFeature>() is null
            && http.Features.Get<IConnectionSocketFeature>()?.Socket is { ProtocolType: ProtocolType.Tcp, Connected: true } socket
            && http.Features.Get<IConnectionTransportFeature>()?.Transport is { } transport)
        {
            if (sendBufferBytes > socket.SendBufferSize)
            {
                socket.SendBufferSize = sendBufferBytes;
            }

            var answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Accept: {accept}\r\n" +
                (subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {subprotocol}\r\n") + "\r\n";
            var live = new LiveSocket(http, socket, null, transport.Input);
            await live.SendAllAsync(Encoding.ASCII.GetBytes(answer), http.RequestAborted);
            return live;
        }

        http.Response.Headers.Connection = "Upgrade";
        http.Response.Headers.Upgrade = "websocket";
        http.Response.Headers.SecWebSocketAccept = accept;
        if (subprotocol is not null)
        {
            http.Response.Headers.SecWebSocketProtocol = subprotocol;
        }

        var stream = await http.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
        return new LiveSocket(http, null, stream, PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)));
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

    /// <summary>
    /// Sends one whole message as prepared (frame header and payload, contiguous): one write, no copy.
    /// </summary>
    public ValueTask SendMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        SendFrameAsync(message, closing: false, cancellationToken);

    /// <summary>
    /// Sends one whole frame, one at a time. Once the close frame is decided nothing else goes out
    /// (RFC 6455 5.5.1: a browser fails a connection that sends data after its close).
    /// </summary>
    private async ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, bool closing, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            if (!closing && Volatile.Read(ref _closeSent) == 1)
            {
                return;
            }

            await SendAllAsync(frame, cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Sends one binary message not prepared as a frame (the init segment, once per viewer).</summary>
    public ValueTask SendBinaryAsync(ReadOnlySpan<byte> payload, CancellationToken cancellationToken) =>
        SendMessageAsync(WebSocketFrame.Of(WebSocketFrame.Binary, payload), cancellationToken);

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
        await SendFrameAsync(WebSocketFrame.Of(WebSocketFrame.Close, payload), closing: true, cancellationToken);
    }

    /// <summary>
    /// Reads what the viewer sends until it closes or the connection ends: answers pings, echoes a
    /// close, ignores data. Returns when the viewer is gone.
    /// </summary>
    public async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            while (TryReadFrame(ref buffer, out var frame))
            {
                switch (frame.Kind)
                {
                    case FrameKind.Bad:
                        // A client must mask its frames (RFC 6455 5.1), and a viewer has nothing large to say.
                        _input.AdvanceTo(buffer.Start);
                        await CloseAsync(1002, "protocol error", cancellationToken);
                        return;
                    case FrameKind.Close:
                        _input.AdvanceTo(buffer.Start);
                        await CloseAsync(frame.Status is >= 1000 and < 5000 ? frame.Status : 1000, "", cancellationToken);
                        return;
                    case FrameKind.Ping:
                        await SendMessageAsync(WebSocketFrame.Of(WebSocketFrame.Pong, frame.Payload), cancellationToken);
                        break;
                }
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Ends the connection once the close handshake is done or given up: the listener is stopped, and
    /// a socket taken over is shut for sending (what was sent is delivered, then FIN) and the
    /// connection aborted, so Kestrel writes no response of its own after the frames.
    /// </summary>
    public async Task EndAsync(Task listening)
    {
        _input.CancelPendingRead();
        await listening;
        if (_socket is not null)
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
                // Abort resets the connection: first let the peer (a browser, or the gateway relaying
                // to one) read the close frame and the FIN and close its side, for a moment at most,
                // so the reset never overtakes the close frame and its reason.
                using var linger = new CancellationTokenSource(PeerCloseWait);
                while (true)
                {
                    // A canceled read is the listener's stop signal left over: read on.
                    var read = await _input.ReadAsync(linger.Token);
                    _input.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException or InvalidOperationException)
            {
            }

            await _input.CompleteAsync();
            _http.Abort();
            return;
        }

        await _input.CompleteAsync();
    }

    /// <summary>How long the end waits for the viewer to close its side after the close frame and FIN.</summary>
    private static readonly TimeSpan PeerCloseWait = TimeSpan.FromSeconds(2);

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            await _stream!.WriteAsync(bytes, cancellationToken);
            return;
        }

        // A send is never cancelled half way: that would leave part of a frame on the wire for the
        // next frame to be read into. A send that must stop (a viewer too slow, or one that does not
        // read its close) ends the connection instead (see AbortOn).
        while (!bytes.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, CancellationToken.None);
            if (sent <= 0)
            {
                throw new IOException("The viewer's connection accepted no more bytes.");
            }

            bytes = bytes[sent..];
        }
    }

    private enum FrameKind
    {
        Data,
        Ping,
        Pong,
        Close,
        Bad,
    }

    private readonly record struct Frame(FrameKind Kind, byte[] Payload, int Status);

    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/> when it is all there. A frame
    /// too large for a viewer to send, or unmasked, is <see cref="FrameKind.Bad"/> at once.
    /// </summary>
    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out Frame frame)
    {
        frame = default;
        if (buffer.Length < 2)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[14];
        buffer.Slice(0, Math.Min(14, buffer.Length)).CopyTo(head);
        var opcode = head[0] & 0x0F;
        var masked = (head[1] & 0x80) != 0;
        long length = head[1] & 0x7F;
        var at = 2;
        if (length == 126)
        {
            if (buffer.Length < 4)
            {
                return false;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
            at = 4;
        }
        else if (length == 127)
        {
            if (buffer.Length < 10)
            {
                return false;
            }

            length = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(head[2..]), long.MaxValue);
            at = 10;
        }

        if (!masked || length > MaxClientFrame || (opcode >= 0x8 && length > 125))
        {
            frame = new Frame(FrameKind.Bad, [], 0);
            return true;
        }

        if (buffer.Length < at + 4 + length)
        {
            return false;
        }

        var kind = opcode switch
        {
            WebSocketFrame.Close => FrameKind.Close,
            WebSocketFrame.Ping => FrameKind.Ping,
            WebSocketFrame.Pong => FrameKind.Pong,
            _ => FrameKind.Data,
        };
        byte[] payload = [];
        if (kind is FrameKind.Close or FrameKind.Ping)
        {
            Span<byte> mask = stackalloc byte[4];
            buffer.Slice(at, 4).CopyTo(mask);
            payload = buffer.Slice(at + 4, length).ToArray();
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= mask[i % 4];
            }
        }

        // Data from the viewer means nothing here: it is read past.
        buffer = buffer.Slice(at + 4 + length);
        var status = kind == FrameKind.Close && payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : 1000;
        frame = new Frame(kind, payload, status);
        return true;
    }

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[24];
        return Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }
}
