using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// A viewer's socket is the relay's own once the handshake is read (frames go straight from the
/// shared buffers to it): what a viewer sends is parsed by the relay's reader, so a hostile viewer is
/// tested here with a raw TCP client straight to streaming. Pings are answered, and a frame a viewer
/// may not send ends its session with a 1002 close, at once, without the relay waiting for its body.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ViewerFramesTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_ping_is_answered_with_its_payload_and_an_unmasked_frame_ends_the_session_with_1002()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        using var viewer = await RawViewer.ConnectAsync(system, camera.CameraId, token);

        await viewer.SendAsync(opcode: 0x9, "are you there"u8.ToArray(), masked: true);
        var pong = await viewer.NextFrameAsync(opcode => opcode == 0xA);
        Assert.Equal("are you there", Encoding.UTF8.GetString(pong.Payload));

        await viewer.SendAsync(opcode: 0x2, "not masked"u8.ToArray(), masked: false);
        var close = await viewer.NextFrameAsync(opcode => opcode == 0x8);
        Assert.Equal(1002, BinaryPrimitives.ReadUInt16BigEndian(close.Payload));
        Assert.True(await viewer.EndsAsync(), "the relay keeps the connection open after a protocol error");
    }

    [Fact]
    public async Task A_frame_claiming_eight_exabytes_is_refused_before_any_of_it_is_awaited()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        using var viewer = await RawViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.NextFrameAsync(opcode => opcode == 0x2);   // media is flowing

        // FIN + binary, masked, 64-bit length 2^63 - 1, a mask, and no payload at all.
        await viewer.SendRawAsync([0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]);

        var close = await viewer.NextFrameAsync(opcode => opcode == 0x8);
        Assert.Equal(1002, BinaryPrimitives.ReadUInt16BigEndian(close.Payload));
        Assert.True(await viewer.EndsAsync(), "the relay keeps the connection open after a protocol error");
    }

    /// <summary>A WebSocket client written out by hand, so it can send what no library would.</summary>
    private sealed class RawViewer(TcpClient tcp, NetworkStream stream, byte[] leftover) : IDisposable
    {
        private readonly List<byte> _buffer = [.. leftover];

        public static async Task<RawViewer> ConnectAsync(BodyCamSystem system, string cameraId, string token)
        {
            var address = system.Service("streaming").Address;
            var tcp = new TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port);
            var stream = tcp.GetStream();
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = $"GET /live/{cameraId}/ws?access_token={Uri.EscapeDataString(token)} HTTP/1.1\r\nHost: {address.Authority}\r\n" +
                $"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            var head = new List<byte>();
            var one = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (IndexOfEnd(head) < 0)
            {
                var read = await stream.ReadAsync(one, timeout.Token);
                Assert.True(read > 0, "the connection closed during the handshake");
                head.AddRange(one.AsSpan(0, read));
            }

            var end = IndexOfEnd(head);
            var answer = Encoding.ASCII.GetString([.. head.Take(end)]);
            Assert.StartsWith("HTTP/1.1 101", answer, StringComparison.Ordinal);
            var expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            Assert.Contains($"Sec-WebSocket-Accept: {expected}", answer, StringComparison.Ordinal);
            return new RawViewer(tcp, stream, [.. head.Skip(end + 4)]);
        }

        public Task SendRawAsync(byte[] bytes) => stream.WriteAsync(bytes).AsTask();

        public Task SendAsync(int opcode, byte[] payload, bool masked)
        {
            var frame = new List<byte> { (byte)(0x80 | opcode), (byte)((masked ? 0x80 : 0) | payload.Length) };
            var mask = new byte[] { 0x37, 0xFA, 0x21, 0x3D };
            if (masked)
            {
                frame.AddRange(mask);
            }

            frame.AddRange(payload.Select((b, i) => masked ? (byte)(b ^ mask[i % 4]) : b));
            return SendRawAsync([.. frame]);
        }

        /// <summary>The next frame from the relay whose opcode matches, skipping media.</summary>
        public async Task<(int Opcode, byte[] Payload)> NextFrameAsync(Func<int, bool> wanted)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                await FillAsync(2, timeout.Token);
                var opcode = _buffer[0] & 0x0F;
                Assert.Equal(0, _buffer[1] & 0x80);   // a server never masks
                long length = _buffer[1] & 0x7F;
                var header = 2;
                if (length == 126)
                {
                    await FillAsync(4, timeout.Token);
                    length = (_buffer[2] << 8) | _buffer[3];
                    header = 4;
                }
                else if (length == 127)
                {
                    await FillAsync(10, timeout.Token);
                    length = (long)BinaryPrimitives.ReadUInt64BigEndian([.. _buffer.Skip(2).Take(8)]);
                    header = 10;
                }

                await FillAsync(header + (int)length, timeout.Token);
                var payload = _buffer.Skip(header).Take((int)length).ToArray();
                _buffer.RemoveRange(0, header + (int)length);
                if (wanted(opcode))
                {
                    return (opcode, payload);
                }
            }
        }

        /// <summary>True when the relay closes the connection within a few seconds.</summary>
        public async Task<bool> EndsAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var scratch = new byte[64 * 1024];
            try
            {
                while (await stream.ReadAsync(scratch, timeout.Token) > 0)
                {
                }

                return true;
            }
            catch (IOException)
            {
                return true;   // reset: closed all the same
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose() => tcp.Dispose();

        private async Task FillAsync(int count, CancellationToken cancellationToken)
        {
            var chunk = new byte[64 * 1024];
            while (_buffer.Count < count)
            {
                var read = await stream.ReadAsync(chunk, cancellationToken);
                Assert.True(read > 0, "the relay closed the connection");
                _buffer.AddRange(chunk.AsSpan(0, read));
            }
        }

        private static int IndexOfEnd(List<byte> bytes)
        {
            for (var i = 0; i + 3 < bytes.Count; i++)
            {
                if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
