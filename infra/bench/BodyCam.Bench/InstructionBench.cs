using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace BodyCam.Bench;

/// <summary>
/// A text instruction from a viewer to the wearer's camera: from the viewer's POST leaving to the
/// camera's notification feed (server-sent events, through the gateway) carrying it. Stored in
/// streaming, published on the bus, relayed by ingest. Several cameras at once, each followed by its
/// device and told something every half second by a control-room viewer holding a live grant.
/// </summary>
public static class InstructionBench
{
    public static async Task RunAsync(Report report, Gateway gateway, int cameras, int perCamera)
    {
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        var recording = await gateway.RecordingCamerasAsync("bench-instruct", cameras, admin, supervisor, control);
        var latencies = new List<double>();
        var sent = 0;
        await Task.WhenAll(recording.Select(async camera =>
        {
            var grant = await gateway.SendAsync(HttpMethod.Post, "api/authorisation/view-requests", control,
                new { cameraId = camera.CameraId, purpose = "resource-deployment", reason = "Benchmark: instruction delivery" });
            var streamToken = grant.GetProperty("streamToken").GetString()!;
            using var follow = new HttpRequestMessage(HttpMethod.Get, $"api/ingest/cameras/{camera.CameraId}/notifications");
            follow.Headers.Authorization = new AuthenticationHeaderValue("Bearer", camera.DeviceToken);
            using var feed = await gateway.Http.SendAsync(follow, HttpCompletionOption.ResponseHeadersRead);
            feed.EnsureSuccessStatusCode();
            var sentAt = new Dictionary<string, long>();
            using var done = new CancellationTokenSource(TimeSpan.FromSeconds(perCamera * 0.5 + 30));
            var reading = Task.Run(async () =>
            {
                var arrived = 0;
                await foreach (var item in SseParser.Create(await feed.Content.ReadAsStreamAsync(done.Token)).EnumerateAsync(done.Token))
                {
                    if (item.EventType != "instruction")
                    {
                        continue;
                    }

                    var now = Stopwatch.GetTimestamp();
                    var note = JsonDocument.Parse(item.Data).RootElement.GetProperty("note").GetString()!;
                    lock (sentAt)
                    {
                        if (sentAt.TryGetValue(note, out var at))
                        {
                            lock (latencies)
                            {
                                latencies.Add(Stopwatch.GetElapsedTime(at, now).TotalMilliseconds);
                            }
                        }
                    }

                    if (++arrived == perCamera)
                    {
                        return;
                    }
                }
            });

            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            for (var i = 0; i < perCamera; i++)
            {
                await pace.WaitForNextTickAsync();
                var text = $"Benchmark instruction {i} to {camera.CameraId}";
                using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{camera.CameraId}/messages") { Content = JsonContent.Create(new { text }) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", control);
                request.Headers.Add("Stream-Token", streamToken);
                lock (sentAt)
                {
                    sentAt[text] = Stopwatch.GetTimestamp();
                }

                using var response = await gateway.Http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref sent);
            }

            try
            {
                await reading;
            }
            catch (OperationCanceledException)
            {
            }
        }));

        latencies.Sort();
        var conditions = $"{cameras} cameras at once, each following its notification feed through the gateway, a control-room viewer sending each an instruction every 500 ms ({sent} in all); {Report.Machine}";
        Console.WriteLine($"  instruction to the camera's feed: {latencies.Count} of {sent}, p50 {Report.Percentile(latencies, 50):0} ms, p95 {Report.Percentile(latencies, 95):0} ms");
        report.Add(new Figure("instruction POST to camera feed p50", Report.Percentile(latencies, 50), "ms", conditions));
        report.Add(new Figure("instruction POST to camera feed p95", Report.Percentile(latencies, 95), "ms", conditions, "within a second"));
        report.Add(new Figure("instructions not delivered", sent - latencies.Count, "instructions", conditions, "0"));
    }
}
