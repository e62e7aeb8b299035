using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using BodyCam.Contracts.Access;
using MassTransit;

namespace BodyCam.Bench;

/// <summary>
/// The audit chain at scale: events published to RabbitMQ as the services publish them, appended by
/// audit's single writer; then the whole chain verified, every projection rebuilt from the stream,
/// and queries timed with the chain at its full size.
/// </summary>
public static partial class AuditBench
{
    /// <summary>The append rate is measured over at least this many events, whatever the chain's size.</summary>
    public const int MinimumAppend = 50_000;

    /// <param name="entries">The chain's size to measure at: events are added until it has this many (at least <see cref="MinimumAppend"/>).</param>
    /// <param name="verifyFrom">Where verification starts: 1, unless the chain's start is not this system's own (a local database another checkout also wrote, whose checkpoints its own key signed).</param>
    public static async Task RunAsync(Report report, Gateway gateway, Uri audit, string rabbitMq, int chainSize, long verifyFrom = 1)
    {
        var admin = await gateway.UserTokenAsync("admin");
        using var http = new HttpClient { BaseAddress = audit, Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", admin);

        var recordedBefore = await RecordedAsync(http);
        var headBefore = (await http.GetFromJsonAsync<JsonElement>("api/audit/verify?from=1&to=1")).GetProperty("head").GetInt64();
        var entries = (int)Math.Max(MinimumAppend, chainSize - headBefore);
        Console.WriteLine($"Audit: {entries:N0} events through RabbitMQ into the chain (it holds {headBefore:N0}; measured at {chainSize:N0} or more), then verify, rebuild and queries");
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(rabbitMq));
            // As the services publish: no exchange for the contracts' common interface (the bench's user may not declare it).
            cfg.Publish<BodyCam.Contracts.IIntegrationEvent>(p => p.Exclude = true);
        });
        await bus.StartAsync();
        var cameras = Enumerable.Range(0, 1000).Select(i => $"bench-audit-{i}").ToArray();
        var published = 0;
        var started = Stopwatch.GetTimestamp();
        var publishing = Task.WhenAll(Enumerable.Range(0, 64).Select(async worker =>
        {
            for (var i = worker; i < entries; i += 64)
            {
                var camera = cameras[i % cameras.Length];
                await bus.Publish(new AccessRefused("bench", "GET", $"/api/ingest/cameras/{camera}/viewers", ["officer"],
                    "Benchmark: a refused request, as a busy force would have many.", "127.0.0.1", $"bench-officer-{i % 5000}",
                    DateTimeOffset.UtcNow, Guid.NewGuid()), ctx => ctx.MessageId = NewId.NextGuid());
                Interlocked.Increment(ref published);
            }
        }));

        double recorded;
        var lastShown = Stopwatch.GetTimestamp();
        while ((recorded = await RecordedAsync(http) - recordedBefore) < entries)
        {
            if (Stopwatch.GetElapsedTime(lastShown) > TimeSpan.FromSeconds(10))
            {
                Console.WriteLine($"    {recorded:N0} of {entries:N0} recorded ({published:N0} published), {recorded / Stopwatch.GetElapsedTime(started).TotalSeconds:N0}/s");
                lastShown = Stopwatch.GetTimestamp();
            }

            await Task.Delay(500);
        }

        var appendSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var appendEnded = DateTimeOffset.UtcNow;
        var appendStarted = appendEnded.AddSeconds(-appendSeconds);
        await publishing;
        await bus.StopAsync();
        var head = (await http.GetFromJsonAsync<JsonElement>("api/audit/verify?from=1&to=1")).GetProperty("head").GetInt64();
        var conditions = $"{entries:N0} AccessRefused events published by 64 concurrent publishers (confirmed) to RabbitMQ and chained by audit's one writer (batches up to 500, one transaction each); chain at {head:N0} entries; {Report.Machine}";
        report.Add(new Figure("audit append", entries / appendSeconds, "events/s", $"first publish → last entry recorded, {appendSeconds:0} s; " + conditions, "10,000 events/s"));

        // How often the tree was signed while entries poured in: the gaps between checkpoints' times.
        var signed = (await http.GetFromJsonAsync<JsonElement>("api/audit/checkpoints?limit=1000")).GetProperty("checkpoints").EnumerateArray()
            .Select(c => c.GetProperty("at").GetDateTimeOffset()).Where(at => at >= appendStarted && at <= appendEnded.AddSeconds(5)).OrderBy(at => at).ToList();
        var gaps = signed.Zip(signed.Skip(1), (a, b) => (b - a).TotalSeconds).Order().ToList();
        if (gaps.Count > 0)
        {
            report.Add(new Figure("audit checkpoint interval, max", gaps[^1], "s",
                $"{signed.Count} checkpoints signed (root recomputed from the tiles, consistency with the last checked, cosigned by the local witness) during the append; p50 gap {Report.Percentile(gaps, 50):0.00} s; " + conditions, "2 s or less"));
        }

        // Proofs and tiles at the chain's full size, one request at a time, straight to audit, as a
        // compliance officer or a witness would ask later: once audit has worked through what the
        // append left it (the misuse monitor reads every entry), and after a few requests of each
        // kind at other places (the routes' first calls compile their code).
        var treeSize = long.Parse((await http.GetStringAsync("api/audit/checkpoint")).Split('\n')[1], CultureInfo.InvariantCulture);
        var quiet = await QuietAsync(TimeSpan.FromMinutes(5));
        Console.WriteLine($"  audit quiet after the append: {quiet}");
        var warmRandom = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            foreach (var warm in new[]
            {
                $"api/audit/proofs/inclusion?seq={warmRandom.NextInt64(1, treeSize + 1)}&treeSize={treeSize}",
                $"api/audit/proofs/consistency?from={warmRandom.NextInt64(1, treeSize + 1)}&to={treeSize}",
                $"api/audit/tile/0/{BodyCam.Audit.Tree.Tiles.IndexPath(warmRandom.NextInt64(0, treeSize / 256))}",
            })
            {
                using var response = await http.GetAsync(warm);
                response.EnsureSuccessStatusCode();
            }
        }

        var proofRandom = new Random(11);
        foreach (var (name, path) in new (string, Func<string>)[]
        {
            ("audit inclusion proof p95", () => $"api/audit/proofs/inclusion?seq={proofRandom.NextInt64(1, treeSize + 1)}&treeSize={treeSize}"),
            ("audit consistency proof p95", () => $"api/audit/proofs/consistency?from={proofRandom.NextInt64(1, treeSize + 1)}&to={treeSize}"),
            ("audit tile fetch p95", () => $"api/audit/tile/0/{BodyCam.Audit.Tree.Tiles.IndexPath(proofRandom.NextInt64(0, treeSize / 256))}"),
            // The floor, in the same run: a request audit answers without reading anything (no token, no database).
            ("audit liveness probe p95 (floor)", () => "health/live"),
        })
        {
            var times = new List<double>();
            for (var i = 0; i < 300; i++)
            {
                var asked = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path());
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                times.Add(Stopwatch.GetElapsedTime(asked).TotalMilliseconds);
            }

            times.Sort();
            var floor = name.Contains("floor", StringComparison.Ordinal);
            report.Add(new Figure(name, Report.Percentile(times, 95), "ms",
                (floor ? "300 requests of /health/live, the same way, to compare" : $"300 requests at random places in the tree of {treeSize:N0} entries") + $" (p50 {Report.Percentile(times, 50):0.0} ms), after 20 of each at other places and once audit was {quiet}; " + conditions, floor ? "-" : "5 ms or less"));
        }

        // Verify in ranges of up to a million, the most one request may ask.
        var verifyStarted = Stopwatch.GetTimestamp();
        long checkedEntries = 0;
        for (var from = verifyFrom; from <= head; from += 1_000_000)
        {
            var result = await http.GetFromJsonAsync<JsonElement>($"api/audit/verify?from={from}&to={Math.Min(head, from + 999_999)}");
            if (!result.GetProperty("ok").GetBoolean())
            {
                throw new InvalidOperationException($"The chain did not verify: {result}");
            }

            checkedEntries += result.GetProperty("checked").GetInt64();
        }

        var verifySeconds = Stopwatch.GetElapsedTime(verifyStarted).TotalSeconds;
        report.Add(new Figure("audit verify", checkedEntries / verifySeconds, "entries/s",
            $"{checkedEntries:N0} entries" + (verifyFrom > 1 ? $" from {verifyFrom:N0}" : "") + $": every hash and leaf hash recomputed over the chain's event stream, each query document compared, each leaf against its stored tile, every checkpoint's root recomputed and the witness asked, {verifySeconds:0.0} s; " + conditions, "500,000 entries/s"));

        // Twice: as an operator runs it (each document checked against the stream, the ones that
        // differ rewritten), then rewriting every document, the work a changed projection would need.
        foreach (var full in new[] { false, true })
        {
            var status = await RebuildAsync(http, full);
            var seconds = (status.GetProperty("finishedAt").GetDateTimeOffset() - status.GetProperty("startedAt").GetDateTimeOffset()).TotalSeconds;
            var total = status.GetProperty("total").GetInt64();
            report.Add(new Figure(full ? "audit rebuild, every document rewritten" : "audit rebuild", total / seconds, "entries/s",
                $"{total:N0} query documents projected from the stream in PostgreSQL, pages of 50,000, {status.GetProperty("rewritten").GetInt64():N0} written"
                + (full ? " (all of them)" : " (those that differed)") + $", {seconds:0.0} s, plus the misuse alerts; " + conditions, "50,000 entries/s"));
        }

        var latencies = new List<double>();
        var byKind = new[] { new List<double>(), new List<double>(), new List<double>() };
        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var query = (i % 3) switch
            {
                0 => $"api/audit/events?cameraId={cameras[random.Next(cameras.Length)]}&limit=100",
                1 => $"api/audit/events?type=AccessRefused&after={random.NextInt64(1, head)}&limit=100",
                _ => $"api/audit/events?viewerId=officer1&from={DateTimeOffset.UtcNow.AddDays(-1):O}&limit=100",
            };
            var asked = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(query.Replace("+", "%2B", StringComparison.Ordinal));
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            latencies.Add(Stopwatch.GetElapsedTime(asked).TotalMilliseconds);
            byKind[i % 3].Add(latencies[^1]);
        }

        latencies.Sort();
        foreach (var kind in byKind)
        {
            kind.Sort();
        }

        report.Add(new Figure("audit query p95", Report.Percentile(latencies, 95), "ms",
            $"300 queries of 100 entries, one at a time, straight to audit: p95 by camera {Report.Percentile(byKind[0], 95):0.0} ms, by type after a random seq {Report.Percentile(byKind[1], 95):0.0} ms, by viewer over a day {Report.Percentile(byKind[2], 95):0.0} ms (p50 of all {Report.Percentile(latencies, 50):0.0} ms); " + conditions, "under 50 ms"));
    }

    private static async Task<JsonElement> RebuildAsync(HttpClient http, bool full)
    {
        using (var rebuild = await http.PostAsync($"api/audit/rebuild?full={(full ? "true" : "false")}", null))
        {
            rebuild.EnsureSuccessStatusCode();
        }

        JsonElement status;
        do
        {
            await Task.Delay(500);
            status = await http.GetFromJsonAsync<JsonElement>("api/audit/rebuild");
        }
        while (status.GetProperty("state").GetString() == "running");

        return status.GetProperty("state").GetString() == "done" ? status : throw new InvalidOperationException($"The rebuild failed: {status}");
    }

    private static async Task<double> RecordedAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("metrics");
        var match = RecordedPattern().Match(text);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^bodycam_audit_recorded_total(?:\{[^}]*\})? ([0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex RecordedPattern();

    /// <summary>
    /// Waits until the audit process uses under a tenth of a core over a whole second (read from
    /// /proc, with the pid <c>./bodycam up</c> keeps), at most <paramref name="limit"/>; says which.
    /// </summary>
    private static async Task<string> QuietAsync(TimeSpan limit)
    {
        var pidFile = Path.Combine(".bodycam", "pids", "audit.pid");
        if (!File.Exists(pidFile))
        {
            return "not watched (no pid file)";
        }

        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture);
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < limit)
        {
            var before = StreamingBench.CpuSeconds(pid);
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (StreamingBench.CpuSeconds(pid) - before < 0.1)
            {
                return $"quiet (under 0.1 core) {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s after the append";
            }
        }

        return $"still busy {limit.TotalMinutes:0} min after the append";
    }
}
