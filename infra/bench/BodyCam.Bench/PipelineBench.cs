using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BodyCam.Contracts;
using BodyCam.Contracts.Cameras;
using BodyCam.Contracts.Streaming;
using MassTransit;

namespace BodyCam.Bench;

/// <summary>
/// Each service's fact consumers against a backlog, the way an outage or a burst leaves one: the six
/// services are paused (SIGSTOP), facts are published to RabbitMQ as the services publish them
/// (recording started and stopped, viewer sessions started and ended, for 2,000 bench cameras, each
/// camera's in order), then all six resume at once and the time until each has stored its share is
/// read from its own metrics (facts stored by its fact writer; entries chained by audit's). All six
/// drain side by side on the same cores, so each figure is a consumer's rate with everything running.
/// </summary>
public static partial class PipelineBench
{
    private sealed record Consumer(string Service, Uri Metrics, Regex Counter, int PerRecording, int PerSession);

    public static async Task RunAsync(Report report, string rabbitMq, string vhost, string bodycam, int facts, bool alone)
    {
        var consumers = new[]
        {
            new Consumer("authorisation", new Uri("http://127.0.0.1:5103/metrics"), WriterPattern(), 1, 0),
            new Consumer("streaming", new Uri("http://127.0.0.1:5104/metrics"), WriterPattern(), 1, 0),
            new Consumer("location", new Uri("http://127.0.0.1:5102/metrics"), WriterPattern(), 1, 1),
            new Consumer("ingest", new Uri("http://127.0.0.1:5101/metrics"), WriterPattern(), 0, 1),
            new Consumer("integration", new Uri("http://127.0.0.1:5106/metrics"), WriterPattern(), 1, 1),
            new Consumer("audit", new Uri("http://127.0.0.1:5105/metrics"), AuditPattern(), 1, 1),
        };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var before = await Task.WhenAll(consumers.Select(c => CountAsync(http, c)));
        const int Cameras = 2000;
        var half = facts / 2;
        Console.WriteLine($"Pipeline: {facts:N0} facts ({half:N0} recording started/stopped, {half:N0} viewer sessions started/ended, {Cameras:N0} cameras) published while the services are paused, then drained");

        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(rabbitMq));
            cfg.Publish<IIntegrationEvent>(p => p.Exclude = true);
        });
        await bus.StartAsync();
        var run = Guid.NewGuid().ToString("N")[..6];
        double publishSeconds;
        await FaultAsync(bodycam, "pause", consumers);
        try
        {
            var publishing = Stopwatch.GetTimestamp();
            // A publisher per camera, each camera's facts in order, each waiting for its confirm: the
            // broker has them in the order they happened, as a camera's service publishes them.
            await Task.WhenAll(Enumerable.Range(0, Cameras).Select(async camera =>
            {
                for (var i = camera; i < facts; i += Cameras)
                {
                    var cameraId = $"bench-pipe-{run}-{camera}";
                    var round = i / Cameras;
                    var at = DateTimeOffset.UtcNow;
                    var session = $"bench-{run}-{round / 4}-{camera}";
                    object fact = (round % 4) switch
                    {
                        0 => new RecordingStarted(cameraId, null, "bench", at, Guid.NewGuid()),
                        1 => new ViewerSessionStarted(session, cameraId, "bench-viewer", $"bench-grant-{run}", "bench", at, Guid.NewGuid()),
                        2 => new ViewerSessionEnded(session, cameraId, "bench-viewer", $"bench-grant-{run}", 0, 0, "viewer-left", "bench", at, Guid.NewGuid()),
                        _ => new RecordingStopped(cameraId, null, "bench", at, Guid.NewGuid()),
                    };
                    await bus.Publish(fact, fact.GetType(), ctx => ctx.MessageId = NewId.NextGuid());
                }
            }));
            publishSeconds = Stopwatch.GetElapsedTime(publishing).TotalSeconds;
        }
        catch
        {
            await FaultAsync(bodycam, "resume", consumers);
            throw;
        }

        await bus.StopAsync();
        var recordings = Enumerable.Range(0, facts).Count(i => (i / Cameras) % 4 is 0 or 3);
        var sessions = facts - recordings;
        var expected = consumers.Select(c => (double)(c.PerRecording * recordings + c.PerSession * sessions)).ToArray();
        var done = new double?[consumers.Length];
        async Task DrainAsync(Consumer[] draining)
        {
            await FaultAsync(bodycam, "resume", draining);
            var resumed = Stopwatch.GetTimestamp();
            var indexes = draining.Select(d => Array.IndexOf(consumers, d)).ToArray();
            while (indexes.Any(i => done[i] is null) && Stopwatch.GetElapsedTime(resumed) < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(200);
                foreach (var i in indexes.Where(i => done[i] is null))
                {
                    if (await CountAsync(http, consumers[i]) - before[i] >= expected[i])
                    {
                        done[i] = Stopwatch.GetElapsedTime(resumed).TotalSeconds;
                    }
                }
            }
        }

        if (alone)
        {
            // One at a time, the others still paused: what one consumer does with the cores to itself.
            foreach (var consumer in consumers)
            {
                await DrainAsync([consumer]);
            }
        }
        else
        {
            await DrainAsync(consumers);
        }

        var conditions = alone
            ? $"a backlog of {facts:N0} facts for {Cameras:N0} cameras published while the six services were paused, then each resumed alone in turn (the others still paused), PostgreSQL and RabbitMQ on the same cores; {Report.Machine}"
            : $"a backlog of {facts:N0} facts for {Cameras:N0} cameras published while the six services were paused, then all six resumed together on the same cores; {Report.Machine}";
        report.Add(new Figure("facts published to six queues", facts / publishSeconds, "facts/s",
            $"{Cameras:N0} confirmed publishers, each camera's facts in order, to RabbitMQ with the consumers paused (each fact lands in 4-6 durable queues); {Report.Machine}"));
        for (var i = 0; i < consumers.Length; i++)
        {
            var what = consumers[i].Service == "audit" ? "chained by audit's writer" : "stored by its fact writer (a batch per transaction)";
            var name = $"{consumers[i].Service} consumer{(alone ? ", alone" : "")}";
            report.Add(done[i] is { } seconds
                ? new Figure(name, expected[i] / seconds, "facts/s",
                    $"{expected[i]:N0} facts {what}, resumed → last stored {seconds:0.0} s; {conditions}", "5,000 facts/s")
                : new Figure(name, double.NaN, "facts/s", $"had not stored all {expected[i]:N0} facts 10 minutes after resuming; {conditions}", "5,000 facts/s"));
        }

        var drained = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var queued = await Quiet.QueuedAsync(vhost);
        report.Add(new Figure("queued 5 s after the backlog was stored", queued ?? double.NaN, "messages",
            $"messages in consumed queues {Stopwatch.GetElapsedTime(drained).TotalSeconds:0.0} s after the last consumer stored its share; {Report.Machine}", "0"));
    }

    private static async Task FaultAsync(string bodycam, string what, IEnumerable<Consumer> consumers)
    {
        foreach (var consumer in consumers)
        {
            using var process = Process.Start(new ProcessStartInfo(bodycam) { ArgumentList = { "fault", what, consumer.Service }, UseShellExecute = false })!;
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"'{bodycam} fault {what} {consumer.Service}' failed ({process.ExitCode}).");
            }
        }
    }

    private static async Task<double> CountAsync(HttpClient http, Consumer consumer)
    {
        var text = await http.GetStringAsync(consumer.Metrics);
        return consumer.Counter.Matches(text).Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^bodycam_facts_batch_size_sum(?:\{[^}]*\})? ([0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex WriterPattern();

    [GeneratedRegex(@"^bodycam_audit_recorded_total(?:\{[^}]*\})? ([0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex AuditPattern();
}
