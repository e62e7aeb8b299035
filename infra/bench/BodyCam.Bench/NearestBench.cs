using System.Diagnostics;
using BodyCam.Location.Map;

namespace BodyCam.Bench;

/// <summary>
/// Nearest-N over the live map in memory, as the location service holds it: officers spread over the
/// West Midlands (52.3-52.7 N, 2.2-1.6 W), a twentieth of them recording.
/// </summary>
public static class NearestBench
{
    public static void Run(Report report, int officers, int queries, int count)
    {
        Console.WriteLine($"Nearest-{count} over {officers:N0} live officers, {queries:N0} queries");
        var random = new Random(42);
        var map = new LiveMap(TimeProvider.System, new BodyCam.Location.Operations.OperationAreas());
        for (var i = 0; i < officers; i++)
        {
            var camera = $"cam-{i}";
            map.Assign(camera, $"officer-{i}", $"B-{i}", "B");
            map.Move(camera, new PositionFacet(camera, DateTimeOffset.UtcNow, 52.3 + (random.NextDouble() * 0.4), -2.2 + (random.NextDouble() * 0.6), 5, null, null, 80));
            if (i % 20 == 0)
            {
                map.Record(camera, true, DateTimeOffset.UtcNow);
            }
        }

        foreach (var (name, filter) in new (string, Func<MapEntry, bool>?)[] { ("any officer", null), ("recording only", e => e.Recording) })
        {
            var timings = new List<double>(queries);
            for (var q = 0; q < queries + 1000; q++)
            {
                var (lat, lon) = (52.3 + (random.NextDouble() * 0.4), -2.2 + (random.NextDouble() * 0.6));
                var started = Stopwatch.GetTimestamp();
                var found = map.Nearest(lat, lon, count, filter);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (q >= 1000 && found.Count == count)
                {
                    timings.Add(elapsed);
                }
            }

            timings.Sort();
            var conditions = $"{officers:N0} officers in 0.4° x 0.6°, 5% recording; {timings.Count:N0} random queries after 1,000 warm-up; one thread; {Report.Machine}";
            report.Add(new Figure($"nearest-{count} p50 ({name})", Report.Percentile(timings, 50), "ms", conditions));
            report.Add(new Figure($"nearest-{count} p95 ({name})", Report.Percentile(timings, 95), "ms", conditions, "under 5 ms"));
        }
    }
}
