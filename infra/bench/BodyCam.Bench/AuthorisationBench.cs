using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace BodyCam.Bench;

/// <summary>
/// View-request decisions through the gateway: each one is decided by the policy, stored as an event
/// (and published), and, when granted, answered with a signed stream token. First paced at a steady
/// rate for latency, then as fast as 32 callers can go for throughput.
/// </summary>
public static class AuthorisationBench
{
    public static async Task RunAsync(Report report, Gateway gateway, int[] rates, TimeSpan duration)
    {
        Console.WriteLine($"Authorisation decisions: paced at {string.Join(" and ", rates)}/s for {duration.TotalSeconds:0} s each, then 32 callers flat out");
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        // Fifty recording cameras, each with a wearer: requests go round them, as a control room's would.
        var cameras = (await gateway.RecordingCamerasAsync("bench-auth", 50, admin, supervisor, control)).Select(c => c.CameraId).ToArray();

        var next = 0;

        async Task<(double Ms, bool Granted)> DecideAsync()
        {
            var cameraId = cameras[(int)((uint)Interlocked.Increment(ref next) % cameras.Length)];
            // An ordinary request: with its incident reference, as the misuse rules expect of resource deployment.
            var body = new { cameraId, purpose = "resource-deployment", reason = "Deploying units to the crowd at the north gate", incidentRef = "BENCH-MATCHDAY", durationSeconds = 60 };
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/authorisation/view-requests") { Content = JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", control);
            var started = Stopwatch.GetTimestamp();
            using var response = await gateway.Http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.StatusCode == System.Net.HttpStatusCode.Created);
        }

        async Task<List<(double Ms, bool Granted)>> PacedAsync(int rate, TimeSpan length)
        {
            var results = new List<Task<(double, bool)>>();
            var interval = Stopwatch.Frequency / (double)rate;
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; Stopwatch.GetElapsedTime(start) < length; i++)
            {
                var due = start + (long)(i * interval);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }

                results.Add(DecideAsync());
            }

            return [.. await Task.WhenAll(results)];
        }

        foreach (var rate in rates)
        {
            await PacedAsync(rate, TimeSpan.FromSeconds(5));
            var measuring = Stopwatch.GetTimestamp();
            var paced = await PacedAsync(rate, duration);
            var pacedSeconds = Stopwatch.GetElapsedTime(measuring).TotalSeconds;
            var latencies = paced.Select(p => p.Ms).Order().ToList();
            var conditions = $"50 recording cameras in turn, control-room viewer, resource-deployment with an incident reference, paced at {rate}/s for {duration.TotalSeconds:0} s after 5 s warm-up, through the gateway; " +
                $"{paced.Count:N0} decisions, {paced.Count(p => p.Granted):N0} granted with a signed stream token; {Report.Machine}";
            report.Add(new Figure($"decision p50 at {rate}/s", Report.Percentile(latencies, 50), "ms", conditions));
            report.Add(new Figure($"decision p99 at {rate}/s", Report.Percentile(latencies, 99), "ms", conditions, "under 10 ms at 500/s"));
            report.Add(new Figure($"decisions achieved, offered {rate}/s", paced.Count / pacedSeconds, "decisions/s", conditions));
        }

        var flatOut = TimeSpan.FromSeconds(10);
        var count = 0;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            while (Stopwatch.GetElapsedTime(started) < flatOut)
            {
                await DecideAsync();
                Interlocked.Increment(ref count);
            }
        }));
        report.Add(new Figure("decisions per second, 32 callers", count / Stopwatch.GetElapsedTime(started).TotalSeconds, "decisions/s",
            $"32 concurrent callers for {flatOut.TotalSeconds:0} s through the gateway, each decision stored and published; {Report.Machine}"));
    }
}
