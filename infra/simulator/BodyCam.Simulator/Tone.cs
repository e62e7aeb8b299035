using Concentus;
using Concentus.Enums;

namespace BodyCam.Simulator;

/// <summary>
/// A short tone as Opus packets (48 kHz mono, 20 ms each), what a simulated camera answers a talk
/// with, so the console shows talk working both ways without a person at the camera.
/// </summary>
public static class Tone
{
    public const int SampleRate = 48_000;
    public const int FrameSamples = 960; // 20 ms

    public static IReadOnlyList<byte[]> Packets(double hertz = 660, TimeSpan? length = null)
    {
        var encoder = OpusCodecFactory.CreateEncoder(SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        var frames = (int)((length ?? TimeSpan.FromMilliseconds(600)).TotalMilliseconds / 20);
        var pcm = new short[FrameSamples];
        var packet = new byte[1275];
        var packets = new List<byte[]>(frames);
        for (var f = 0; f < frames; f++)
        {
            for (var i = 0; i < FrameSamples; i++)
            {
                var t = (double)(f * FrameSamples + i) / SampleRate;
                pcm[i] = (short)(Math.Sin(2 * Math.PI * hertz * t) * 8000);
            }

            var written = encoder.Encode(pcm, FrameSamples, packet, packet.Length);
            packets.Add(packet[..written]);
        }

        return packets;
    }
}
