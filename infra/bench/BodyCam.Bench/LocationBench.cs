using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace BodyCam.Bench;

/// <summary>
/// Pings end to end: cameras post telemetry batches through the gateway at a paced rate; latency runs
/// from the start of the POST to the officer's update arriving on the live map's change feed
/// (matched by camera and sample time). 202 means RabbitMQ has confirmed the batch.
/// </summary>
public static class LocationBench
{
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(Report report, Gateway gateway, int cameras, int batch, int targetPings, TimeSpan duration)
    {
        Console.WriteLine($"Location pings: {cameras} cameras, {batch} samples a batch, aiming at {targetPings:N0} pings/s for {duration.TotalSeconds:0} s");
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        var run = Guid.NewGuid().ToString("N")[..6];
        var devices = new (string CameraId, string Token)[cameras];
        using (var enlisting = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, cameras).Select(async i =>
            {
                await enlisting.WaitAsync();
                try
                {
                    var cameraId = $"bench-{run}-{i}";
                    devices[i] = (cameraId, await gateway.EnlistAsync(cameraId, $"bench-{run}-officer-{i}", admin, supervisor));
                }
                finally
                {
                    enlisting.Release();
                }
            }));
        }

        Console.WriteLine($"  {cameras} cameras registered and assigned; running");
        var sent = new ConcurrentDictionary<(string, long), long>();
        var endToEnd = new ConcurrentBag<double>();
        var posts = new ConcurrentBag<double>();
        var failures = 0;
        var accepted = 0L;
        using var stop = new CancellationTokenSource();
        var feed = FollowAsync(gateway, control, sent, endToEnd, stop.Token);

        var interval = TimeSpan.FromSeconds((double)batch * cameras / targetPings);
        var clock = DateTimeOffset.UtcNow;
        var sampleTicks = new long[cameras];
        var positions = Enumerable.Range(0, cameras).Select(i => new Random(i)).Select(r => (Lat: 52.3 + (r.NextDouble() * 0.4), Lon: -2.2 + (r.NextDouble() * 0.6))).ToArray();

        async Task LoadAsync(TimeSpan length, bool measure)
        {
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(devices.Select((device, index) => Task.Run(async () =>
            {
                var random = new Random(index);
                var next = Stopwatch.GetTimestamp() + (long)(random.NextDouble() * interval.TotalSeconds * Stopwatch.Frequency);
                while (Stopwatch.GetElapsedTime(started) < length)
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }

                    next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
                    var samples = new object[batch];
                    DateTimeOffset newest = default;
                    for (var s = 0; s < batch; s++)
                    {
                        newest = clock.AddTicks(++sampleTicks[index] * TimeSpan.TicksPerMillisecond);
                        positions[index] = (positions[index].Lat + ((random.NextDouble() - 0.5) * 0.0002), positions[index].Lon + ((random.NextDouble() - 0.5) * 0.0002));
                        samples[s] = new { at = newest, lat = positions[index].Lat, lon = positions[index].Lon, accuracyM = 4.0, speedMps = 1.4, batteryPct = 77.0 };
                    }

                    var postStarted = Stopwatch.GetTimestamp();
                    if (measure)
                    {
                        sent[(device.CameraId, newest.UtcTicks)] = postStarted;
                    }

                    using var request = new HttpRequestMessage(HttpMethod.Post, $"api/ingest/cameras/{device.CameraId}/telemetry") { Content = JsonContent.Create(new { samples }) };
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", device.Token);
                    try
                    {
                        using var response = await gateway.Http.SendAsync(request);
                        if (!measure)
                        {
                            continue;
                        }

                        posts.Add(Stopwatch.GetElapsedTime(postStarted).TotalMilliseconds);
                        if (response.IsSuccessStatusCode)
                        {
                            Interlocked.Add(ref accepted, batch);
                        }
                        else
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                    catch (HttpRequestException) when (measure)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            })));
        }

        Console.WriteLine($"  warming up for {WarmUp.TotalSeconds:0} s, then measuring");
        await LoadAsync(WarmUp, measure: false);
        var measuring = Stopwatch.GetTimestamp();
        await LoadAsync(duration, measure: true);
        var sendingSeconds = Stopwatch.GetElapsedTime(measuring).TotalSeconds;

        // Let the map catch up with what was accepted, then stop listening.
        var drainUntil = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (endToEnd.Count < accepted / batch && Stopwatch.GetTimestamp() < drainUntil)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await feed;

        var latencies = endToEnd.OrderBy(x => x).ToList();
        var postLatencies = posts.OrderBy(x => x).ToList();
        var conditions = $"{cameras} cameras, {batch} samples a batch, paced at {targetPings:N0} pings/s for {duration.TotalSeconds:0} s after a {WarmUp.TotalSeconds:0} s warm-up, through the gateway; " +
            $"{accepted:N0} pings accepted, {failures} batches failed, {latencies.Count:N0} of {accepted / batch:N0} batches seen on the change feed; {Report.Machine}";
        report.Add(new Figure($"pings accepted per second, {batch} a batch (202, broker-confirmed)", accepted / sendingSeconds, "pings/s", conditions, "10,000 pings/s"));
        report.Add(new Figure($"telemetry POST p50, {batch} a batch", Report.Percentile(postLatencies, 50), "ms", conditions));
        report.Add(new Figure($"telemetry POST p95, {batch} a batch", Report.Percentile(postLatencies, 95), "ms", conditions));
        report.Add(new Figure($"ping to map p50, {batch} a batch", Report.Percentile(latencies, 50), "ms", conditions));
        report.Add(new Figure($"ping to map p95, {batch} a batch", Report.Percentile(latencies, 95), "ms", conditions, "under 250 ms"));
    }

    private static async Task FollowAsync(Gateway gateway, string token, ConcurrentDictionary<(string, long), long> sent, ConcurrentBag<double> endToEnd, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/location/stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
            await using var stream = await response.Content.ReadAsStreamAsync(stop);
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(stop))
            {
                if (item.EventType != "updated")
                {
                    continue;
                }

                var arrived = Stopwatch.GetTimestamp();
                var change = JsonDocument.Parse(item.Data).RootElement;
                var cameraId = change.GetProperty("cameraId").GetString()!;
                var at = change.GetProperty("feature").GetProperty("properties").GetProperty("at").GetDateTimeOffset();
                if (sent.TryRemove((cameraId, at.UtcTicks), out var postedAt))
                {
                    endToEnd.Add(Stopwatch.GetElapsedTime(postedAt, arrived).TotalMilliseconds);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
