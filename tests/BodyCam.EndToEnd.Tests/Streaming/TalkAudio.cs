using System.Net.WebSockets;
using Concentus;
using Concentus.Enums;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>What the talk tests send and read: real Opus packets, and whole WebSocket messages.</summary>
internal static class TalkAudio
{
    /// <summary>Opus packets of a tone, 20 ms each at 48 kHz mono, as a browser's AudioEncoder or a camera would send them.</summary>
    public static List<byte[]> Speech(double hertz, int packets)
    {
        var encoder = OpusCodecFactory.CreateEncoder(48_000, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        var pcm = new short[960];
        var output = new byte[1275];
        var result = new List<byte[]>();
        for (var f = 0; f < packets; f++)
        {
            for (var i = 0; i < pcm.Length; i++)
            {
                pcm[i] = (short)(Math.Sin(2 * Math.PI * hertz * (f * 960 + i) / 48_000) * 8000);
            }

            result.Add(output[..encoder.Encode(pcm, 960, output, output.Length)]);
        }

        return result;
    }

    public static async Task<(WebSocketMessageType Type, byte[] Bytes)> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
            length += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType, buffer[..length]);
            }
        }
    }
}
