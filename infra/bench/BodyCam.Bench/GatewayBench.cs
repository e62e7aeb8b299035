using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace BodyCam.Bench;

/// <summary>
/// What the gateway costs: the same requests, in the same run, through the gateway and straight to
/// the service (which checks the same token itself), in alternating rounds so drift hits both alike.
/// A read (nearest officers, location) and a write (a telemetry batch, ingest).
/// </summary>
public static class GatewayBench
{
    public static async Task RunAsync(Report report, Gateway gateway, Uri location, Uri ingest, int concurrency, TimeSpan duration)
    {
        Console.WriteLine($"Gateway against direct calls: {concurrency} concurrent clients, {duration.TotalSeconds:0} s each way, in rounds");
        var control = await gateway.UserTokenAsync("control1");
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var camera = (await gateway.RecordingCamerasAsync("bench-gw", 1, admin, supervisor, control))[0];

        HttpRequestMessage Nearest() =>
            new(HttpMethod.Get, "api/location/officers/nearest?lat=52.4862&lon=-1.8904&count=10") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", control) } };
        HttpRequestMessage Telemetry() =>
            new(HttpMethod.Post, $"api/ingest/cameras/{camera.CameraId}/telemetry")
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", camera.DeviceToken) },
                Content = JsonContent.Create(new { samples = new[] { new { at = DateTimeOffset.UtcNow, lat = 52.48 + (Random.Shared.NextDouble() / 100), lon = -1.89, accuracyM = 5.0 } } }),
            };

        foreach (var (name, direct, make) in new[] { ("nearest officers (GET, location)", location, (Func<HttpRequestMessage>)Nearest), ("telemetry batch (POST, ingest)", ingest, Telemetry) })
        {
            var viaGateway = new List<double>();
            var straight = new List<double>();
            long gatewayCount = 0, directCount = 0;
            var rounds = 4;
            for (var round = 0; round < rounds; round++)
            {
                gatewayCount += await LoadAsync(gateway.Http.BaseAddress!, make, concurrency, duration / rounds, viaGateway);
                directCount += await LoadAsync(direct, make, concurrency, duration / rounds, straight);
            }

            viaGateway.Sort();
            straight.Sort();
            var conditions = $"{name}: {concurrency} concurrent clients in one process, {rounds} alternating rounds of {(duration / rounds).TotalSeconds:0.#} s each way, " +
                $"{gatewayCount:N0} requests through the gateway and {directCount:N0} direct; {Report.Machine}";
            report.Add(new Figure($"gateway p50, {name}", Report.Percentile(viaGateway, 50), "ms", conditions));
            report.Add(new Figure($"direct p50, {name} (floor)", Report.Percentile(straight, 50), "ms", conditions));
            report.Add(new Figure($"gateway over direct, p50, {name}", Report.Percentile(viaGateway, 50) / Report.Percentile(straight, 50), "×", conditions));
            report.Add(new Figure($"gateway over direct, p99, {name}", Report.Percentile(viaGateway, 99) / Report.Percentile(straight, 99), "×", conditions));
            report.Add(new Figure($"gateway over direct, throughput, {name}", gatewayCount / (double)Math.Max(1, directCount), "×", conditions));
        }
    }

    private static async Task<long> LoadAsync(Uri address, Func<HttpRequestMessage> make, int concurrency, TimeSpan duration, List<double> latencies)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2 }) { BaseAddress = address };
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var all = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var mine = new List<double>();
            while (Stopwatch.GetTimestamp() < until)
            {
                using var request = make();
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                await response.Content.LoadIntoBufferAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{request.RequestUri}: {(int)response.StatusCode}");
                }

                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return mine;
        }));
        foreach (var mine in all)
        {
            latencies.AddRange(mine);
        }

        return all.Sum(m => m.Count);
    }
}
