using System.Diagnostics;
using System.Text.Json;

namespace BodyCam.Bench;

/// <summary>
/// The rewind buffer's memory: cameras push at a given bitrate (the streaming section's clip and
/// pacing) for longer than the rewind span, so every stream's buffer is full; then what each holds
/// (its own account, <c>rewindBytes</c> from <c>GET /api/streaming/streams</c>) and what the
/// streaming process's resident memory grew by per stream. The cameras then end their pushes and the
/// memory is read again once the streams are gone. Run with the default rewind (2 minutes, 32 MB per
/// stream): <c>./bodycam bench rewind</c> restarts the system without the streaming section's
/// rewind-off setting.
/// </summary>
public static class RewindBench
{
    public static async Task RunAsync(Report report, Gateway gateway, Uri streaming, int count, int kbps, TimeSpan length)
    {
        Console.WriteLine($"Rewind buffer: {count} cameras at {kbps} kbit/s for {length.TotalSeconds:0} s");
        var (init, fragments, fragmentSeconds) = await StreamingBench.ClipAsync(kbps);
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(".bodycam", "pids", "streaming.pid")), System.Globalization.CultureInfo.InvariantCulture);
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        var cameras = await gateway.RecordingCamerasAsync("bench-rewind", count, admin, supervisor, control);
        var idle = ResidentMegabytes(pid);

        // Each push sends exactly `length` of fragments and then ends its body: the stream ends then.
        var sentAt = new long[count, (int)(length.TotalSeconds / fragmentSeconds) + 1];
        var pushes = cameras.Select((c, i) => StreamingBench.PushAsync(streaming, c, init, fragments, fragmentSeconds, sentAt, i, CancellationToken.None)).ToList();
        await Task.Delay(length - TimeSpan.FromSeconds(5));
        var streams = (await gateway.SendAsync(HttpMethod.Get, "api/streaming/streams", control)).EnumerateArray()
            .Where(s => s.GetProperty("cameraId").GetString()!.StartsWith("bench-rewind", StringComparison.Ordinal)).ToList();
        var full = ResidentMegabytes(pid);
        await Task.WhenAll(pushes);
        await Task.Delay(TimeSpan.FromSeconds(15));
        var after = ResidentMegabytes(pid);

        var bytes = streams.Select(s => s.GetProperty("rewindBytes").GetInt64() / 1048576.0).ToList();
        var seconds = streams.Select(s => s.GetProperty("rewindSeconds").GetDouble()).ToList();
        var conditions = $"{streams.Count} streams at {kbps} kbit/s (1280x720 noise clip, 200 ms fragments) pushed straight to streaming for {length.TotalSeconds:0} s, " +
            $"Streaming:RewindSeconds at its default (120), RewindBytesPerStream 32 MB; RSS of the streaming process from /proc, idle {idle:0} MB; {Report.Machine}";
        Console.WriteLine($"  rewind held {seconds.Average():0} s, {bytes.Average():0.0} MB per stream; RSS idle {idle:0} MB, full {full:0} MB, after {after:0} MB");
        report.Add(new Figure("rewind buffer held per stream", seconds.Average(), "s", conditions));
        report.Add(new Figure("rewind buffer bytes per stream", bytes.Average(), "MB", conditions, "at most 32 MB (bounded per stream)"));
        report.Add(new Figure("streaming RSS growth per stream with full rewind", (full - idle) / Math.Max(1, streams.Count), "MB", conditions));
        report.Add(new Figure("streaming RSS after the streams ended", after, "MB", conditions, $"back near idle ({idle:0} MB)"));
    }

    private static double ResidentMegabytes(int pid) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] is var kb ? double.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) / 1024 : 0;
}
