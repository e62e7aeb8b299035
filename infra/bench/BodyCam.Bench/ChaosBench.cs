using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace BodyCam.Bench;

/// <summary>
/// <c>./bodycam chaos</c>: a force's ordinary load (cameras reporting twice a second, an operator
/// asking to watch every 0.7 s) while every process is killed in turn, RabbitMQ's node is killed,
/// PostgreSQL is stopped at once, and each of them is held down for an outage. Then, once the system
/// has settled, every accepted position is looked for on the officer's track (the map's store) and in
/// the audit record, and every answered decision in the audit record. Prints the recovery time per
/// fault, what was lost (must be nothing) and what waits in error queues. With
/// <c>outagesOnly</c> (<c>./bodycam cluster chaos</c>) only the two outages are made, by
/// <c>{bodycam} fault pg-stop</c> and the like.
/// </summary>
public static class ChaosBench
{
    private sealed record Fault(string Name, string[] Commands, TimeSpan HoldFor, string[] After);

    public static async Task<int> RunAsync(Report report, Gateway gateway, string bodycam, int cameras, TimeSpan outage, TimeSpan settleLimit, bool quick, bool outagesOnly = false)
    {
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        var compliance = await gateway.UserTokenAsync("compliance1");
        var fleet = await gateway.RecordingCamerasAsync("CHAOS", cameras, admin, supervisor, control);
        var started = DateTimeOffset.UtcNow;
        Console.WriteLine($"  {cameras} cameras report twice a second; control1 asks to watch one every 0.7 s");

        var accepted = new ConcurrentBag<(string CameraId, DateTimeOffset At)>();
        var answered = new ConcurrentBag<string>();
        var refusedByServer = 0;
        using var stop = new CancellationTokenSource();
        var load = new List<Task>();
        foreach (var (cameraId, device) in fleet)
        {
            load.Add(Task.Run(async () =>
            {
                var random = new Random(cameraId.GetHashCode(StringComparison.Ordinal));
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
                while (await timer.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
                {
                    // Millisecond sample times: what the store keeps, so the test for "reached" is exact.
                    var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"api/ingest/cameras/{cameraId}/telemetry")
                    {
                        Content = JsonContent.Create(new { samples = new[] { new { at, lat = 52.4 + random.NextDouble() / 10, lon = -1.9 + random.NextDouble() / 10, accuracyM = 5.0 } } }),
                    };
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", device);
                    try
                    {
                        using var response = await gateway.Http.SendAsync(request, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
                        if (response.StatusCode == HttpStatusCode.Accepted)
                        {
                            accepted.Add((cameraId, at));
                        }
                        else
                        {
                            Interlocked.Increment(ref refusedByServer);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        Interlocked.Increment(ref refusedByServer);
                    }
                }
            }));
        }

        load.Add(Task.Run(async () =>
        {
            var random = new Random(7);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(700));
            while (await timer.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
            {
                var (cameraId, _) = fleet[random.Next(fleet.Length)];
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/authorisation/view-requests")
                {
                    Content = JsonContent.Create(new { cameraId, purpose = "officer-safety", reason = "Chaos run: checking on a colleague under load" }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", control);
                try
                {
                    using var response = await gateway.Http.SendAsync(request, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
                    var body = await response.Content.ReadAsStringAsync();
                    // An answered decision names its request (granted: grantId; denied: requestId).
                    if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest
                        && body.Length > 0 && JsonDocument.Parse(body).RootElement is var answer
                        && (answer.TryGetProperty("grantId", out var id) || answer.TryGetProperty("requestId", out id)) && id.GetString() is { } requestId)
                    {
                        answered.Add(requestId);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
                {
                }
            }
        }));

        var services = new[] { "ingest", "location", "authorisation", "streaming", "audit", "integration", "gateway" };
        var faults = new List<Fault>();
        if (!outagesOnly)
        {
            faults.AddRange(services.Select(s => new Fault($"SIGKILL {s}", [$"kill {s}"], TimeSpan.Zero, [])));
            faults.Add(new Fault("SIGKILL RabbitMQ's node", ["rabbit-kill"], TimeSpan.FromSeconds(quick ? 2 : 5), ["rabbit-start"]));
            faults.Add(new Fault("PostgreSQL stopped at once", ["pg-stop"], TimeSpan.FromSeconds(quick ? 2 : 5), ["pg-start"]));
        }

        faults.Add(new Fault($"PostgreSQL down {outage.TotalSeconds:0} s", ["pg-stop"], outage, ["pg-start"]));
        faults.Add(new Fault($"RabbitMQ down {outage.TotalSeconds:0} s", ["rabbit-stop"], outage, ["rabbit-start"]));

        await Task.Delay(TimeSpan.FromSeconds(5));
        var recoveries = new List<(string Fault, double Seconds)>();
        foreach (var fault in faults)
        {
            Console.WriteLine($"  {DateTime.Now:HH:mm:ss} {fault.Name}");
            foreach (var command in fault.Commands)
            {
                await RunAsync(bodycam, $"fault {command}");
            }

            var faulted = Stopwatch.StartNew();
            await Task.Delay(fault.HoldFor);
            foreach (var command in fault.After)
            {
                await RunAsync(bodycam, $"fault {command}");
            }

            // Recovered: every service and the gateway answer ready again, and a position is accepted.
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            var recovered = await ReadyAsync(gateway, TimeSpan.FromMinutes(5));
            var seconds = (recovered ? faulted.Elapsed - fault.HoldFor : TimeSpan.FromMinutes(5)).TotalSeconds;
            recoveries.Add((fault.Name, seconds));
            Console.WriteLine($"      back in {seconds:0.0} s{(recovered ? "" : " (NOT RECOVERED)")}");
            await Task.Delay(TimeSpan.FromSeconds(quick ? 3 : 8));
        }

        await Task.Delay(TimeSpan.FromSeconds(5));
        stop.Cancel();
        await Task.WhenAll(load);
        var ended = DateTimeOffset.UtcNow;
        Console.WriteLine($"  load stopped: {accepted.Count:N0} positions accepted, {answered.Count:N0} decisions answered, {refusedByServer:N0} pings not accepted (a camera sends those again)");

        // Settle: look until nothing is missing, or nothing more arrives for a while.
        admin = await gateway.UserTokenAsync("admin");
        control = await gateway.UserTokenAsync("control1");
        compliance = await gateway.UserTokenAsync("compliance1");
        var settle = Stopwatch.StartNew();
        (int Map, int AuditPositions, int AuditDecisions) missing = (-1, -1, -1);
        var lastProgress = Stopwatch.StartNew();
        while (settle.Elapsed < settleLimit)
        {
            var now = await MissingAsync(gateway, control, compliance, fleet.Select(f => f.CameraId).ToArray(), accepted.ToArray(), answered.ToHashSet(), started, ended);
            if (now != missing)
            {
                lastProgress.Restart();
                missing = now;
                Console.WriteLine($"  {DateTime.Now:HH:mm:ss} missing: {now.Map} positions from the map, {now.AuditPositions} from the audit record, {now.AuditDecisions} decisions from the audit record");
            }

            if (now == (0, 0, 0) || lastProgress.Elapsed > TimeSpan.FromSeconds(90))
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(5));
        }

        var deadLetters = await DeadLettersAsync(gateway, admin);
        var conditions = $"{cameras} cameras at 2 pings/s, a decision every 0.7 s, {DateTimeOffset.UtcNow - started:mm\\:ss} in all; outage {outage.TotalSeconds:0} s";
        foreach (var (fault, seconds) in recoveries)
        {
            report.Add(new Figure($"chaos: back after {fault}", seconds, "s", "until every service and the gateway answer ready", "≤ 5 s for a killed process"));
        }

        report.Add(new Figure("chaos: accepted positions", accepted.Count, "", conditions));
        report.Add(new Figure("chaos: answered decisions", answered.Count, "", conditions));
        report.Add(new Figure("chaos: positions lost from the map", missing.Map, "", conditions, "0"));
        report.Add(new Figure("chaos: positions lost from the audit record", missing.AuditPositions, "", conditions, "0"));
        report.Add(new Figure("chaos: decisions lost from the audit record", missing.AuditDecisions, "", conditions, "0"));
        report.Add(new Figure("chaos: messages in error queues", deadLetters.Values.Sum(), "", string.Join(", ", deadLetters.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}")) is { Length: > 0 } where ? where : "none", "0"));
        report.Add(new Figure("chaos: time to settle after the load stopped", settle.Elapsed.TotalSeconds, "s", "until every accepted item was found"));
        var lost = missing.Map + missing.AuditPositions + missing.AuditDecisions;
        Console.WriteLine(lost == 0 ? "  lost: 0" : $"  LOST: {lost}");
        return lost == 0 && deadLetters.Values.Sum() == 0 ? 0 : 1;
    }

    private static async Task<(int Map, int AuditPositions, int AuditDecisions)> MissingAsync(Gateway gateway, string control, string compliance, string[] cameras,
        (string CameraId, DateTimeOffset At)[] accepted, HashSet<string> answered, DateTimeOffset from, DateTimeOffset to)
    {
        var onMap = new HashSet<(string, long)>();
        var inAudit = new HashSet<(string, long)>();
        foreach (var cameraId in cameras)
        {
            var officer = $"{cameraId}-officer";
            for (var start = from.AddMinutes(-1); start < to.AddMinutes(1); start = start.AddHours(1))
            {
                var end = start.AddHours(1) < to.AddMinutes(1) ? start.AddHours(1) : to.AddMinutes(1);
                var track = await gateway.SendAsync(HttpMethod.Get, $"api/location/officers/{officer}/track?from={Uri.EscapeDataString(start.ToString("O"))}&to={Uri.EscapeDataString(end.ToString("O"))}", control);
                foreach (var time in track.GetProperty("properties").GetProperty("times").EnumerateArray())
                {
                    onMap.Add((cameraId, time.GetDateTimeOffset().ToUnixTimeMilliseconds()));
                }
            }

            await foreach (var entry in AuditAsync(gateway, compliance, $"type=TelemetryReported&cameraId={cameraId}"))
            {
                foreach (var sample in entry.GetProperty("data").GetProperty("samples").EnumerateArray())
                {
                    inAudit.Add((cameraId, sample.GetProperty("at").GetDateTimeOffset().ToUnixTimeMilliseconds()));
                }
            }
        }

        var decided = new HashSet<string>();
        await foreach (var entry in AuditAsync(gateway, compliance, $"type=ViewRequestDecided&viewerId=control1&from={Uri.EscapeDataString(from.AddMinutes(-1).ToString("O"))}"))
        {
            if (entry.GetProperty("data").GetProperty("requestId").GetString() is { } id)
            {
                decided.Add(id);
            }
        }

        return (accepted.Count(a => !onMap.Contains((a.CameraId, a.At.ToUnixTimeMilliseconds()))),
            accepted.Count(a => !inAudit.Contains((a.CameraId, a.At.ToUnixTimeMilliseconds()))),
            answered.Count(id => !decided.Contains(id)));
    }

    private static async IAsyncEnumerable<JsonElement> AuditAsync(Gateway gateway, string token, string query)
    {
        long after = 0;
        while (true)
        {
            var page = await gateway.SendAsync(HttpMethod.Get, $"api/audit/events?{query}&after={after}&limit=1000", token);
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                yield return item;
            }

            if (page.GetProperty("next") is { ValueKind: JsonValueKind.Number } next)
            {
                after = next.GetInt64();
            }
            else
            {
                yield break;
            }
        }
    }

    private static async Task<Dictionary<string, long>> DeadLettersAsync(Gateway gateway, string admin)
    {
        var counts = new Dictionary<string, long>();
        foreach (var api in new[] { "ingest", "location", "authorisation", "streaming", "audit", "integrations" })
        {
            var list = await gateway.SendAsync(HttpMethod.Get, $"api/{api}/admin/dead-letters", admin);
            foreach (var count in list.GetProperty("counts").EnumerateObject())
            {
                counts[count.Name] = count.Value.GetInt64();
            }
        }

        return counts;
    }

    private static async Task<bool> ReadyAsync(Gateway gateway, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            try
            {
                using var response = await gateway.Http.GetAsync("health/ready", new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static async Task RunAsync(string bodycam, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", $"{bodycam} {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"      ({arguments} exited {process.ExitCode}: {(await process.StandardError.ReadToEndAsync()).Trim()})");
        }
    }
}
