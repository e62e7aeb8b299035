using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace BodyCam.Bench;

/// <summary>
/// Talk: how long a viewer's audio packet takes from the viewer's socket to the camera's socket, and
/// the camera's answer back, through the gateway and streaming's relay. Several talks at once, each
/// viewer sending 20 ms packets of a typical Opus size (60 bytes at 24 kbit/s) at speaking pace; each
/// packet carries its send time, so the figure is measured on one clock. It does not include the
/// browser's own capture and encoding (one 20 ms frame and the encoder's look-ahead).
/// </summary>
public static class TalkBench
{
    public static async Task RunAsync(Report report, Gateway gateway, int talks, TimeSpan length)
    {
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        var cameras = await gateway.RecordingCamerasAsync("bench-talk", talks, admin, supervisor, control);
        var toCamera = new List<double>();
        var toViewer = new List<double>();
        var sent = 0;
        await Task.WhenAll(cameras.Select(async camera =>
        {
            var grant = await gateway.SendAsync(HttpMethod.Post, "api/authorisation/view-requests", control,
                new { cameraId = camera.CameraId, purpose = "officer-safety", reason = "Benchmark: talk latency" });
            using var device = new ClientWebSocket();
            device.Options.SetRequestHeader("Authorization", $"Bearer {camera.DeviceToken}");
            await device.ConnectAsync(Address(gateway, $"api/ingest/cameras/{camera.CameraId}/talk"), CancellationToken.None);
            using var viewer = new ClientWebSocket();
            viewer.Options.AddSubProtocol("bodycam.talk");
            viewer.Options.AddSubProtocol($"bodycam.token.{grant.GetProperty("streamToken").GetString()}");
            await viewer.ConnectAsync(Address(gateway, $"live/{camera.CameraId}/talk"), CancellationToken.None);

            var frames = (int)(length.TotalMilliseconds / 20);
            var atCamera = ReceiveAsync(device, frames, 1, toCamera);
            var atViewer = ReceiveAsync(viewer, frames, 1, toViewer);
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            var packet = new byte[60];
            Random.Shared.NextBytes(packet);
            for (var i = 0; i < frames; i++)
            {
                await pace.WaitForNextTickAsync();
                BinaryPrimitives.WriteInt64BigEndian(packet, Stopwatch.GetTimestamp());
                await viewer.SendAsync(packet, WebSocketMessageType.Binary, true, CancellationToken.None);
                BinaryPrimitives.WriteInt64BigEndian(packet, Stopwatch.GetTimestamp());
                await device.SendAsync(packet, WebSocketMessageType.Binary, true, CancellationToken.None);
                Interlocked.Add(ref sent, 2);
            }

            await Task.WhenAll(atCamera, atViewer).WaitAsync(TimeSpan.FromSeconds(30));
            await viewer.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            await device.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }));

        var conditions = $"{talks} talks at once through the gateway, 20 ms packets of 60 bytes both ways for {length.TotalSeconds:0} s each, {sent} packets, {Report.Machine}";
        toCamera.Sort();
        toViewer.Sort();
        report.Add(new Figure("talk viewer→camera socket p50", Report.Percentile(toCamera, 50), "ms", conditions));
        report.Add(new Figure("talk viewer→camera socket p95", Report.Percentile(toCamera, 95), "ms", conditions, "under 500 ms mouth to socket"));
        report.Add(new Figure("talk viewer→camera socket p99", Report.Percentile(toCamera, 99), "ms", conditions));
        report.Add(new Figure("talk camera→viewer socket p95", Report.Percentile(toViewer, 95), "ms", conditions));
        report.Add(new Figure("talk packets lost", sent - toCamera.Count - toViewer.Count, "packets", conditions, "0"));
    }

    private static Uri Address(Gateway gateway, string path) =>
        new UriBuilder(new Uri(gateway.Http.BaseAddress!, path)) { Scheme = gateway.Http.BaseAddress!.Scheme == "https" ? "wss" : "ws" }.Uri;

    /// <summary>Reads binary packets (a one-byte speaker tag, then the packet) until <paramref name="count"/> arrived; text messages are skipped.</summary>
    private static async Task ReceiveAsync(ClientWebSocket socket, int count, int tag, List<double> latencies)
    {
        var buffer = new byte[4096];
        var received = 0;
        while (received < count)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (result.MessageType != WebSocketMessageType.Binary || result.Count < 1 + 8)
            {
                continue;
            }

            var ms = Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(tag))).TotalMilliseconds;
            lock (latencies)
            {
                latencies.Add(ms);
            }

            received++;
        }
    }
}
