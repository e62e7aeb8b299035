using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.RegularExpressions;

namespace BodyCam.Bench;

/// <summary>
/// The live relay under load: cameras push fragments paced in real time by this generator (a clip
/// encoded once by ffmpeg, looped, each fragment's mfhd sequence number rewritten so it can be
/// matched), each watched by viewers over WebSocket. Measures the latency the relay adds (the
/// camera's last byte of a fragment sent → a viewer's last byte of it received), the streaming
/// process's CPU per GB delivered, its allocations per fragment per viewer, and time to first frame.
/// </summary>
public static partial class StreamingBench
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(8);

    public static async Task RunAsync(Report report, Gateway gateway, Uri streaming, int[] cameraCounts, int viewersPerCamera, int kbps, TimeSpan duration)
    {
        Console.WriteLine($"Streaming relay: {string.Join(" and ", cameraCounts)} cameras × {viewersPerCamera} viewers at {kbps} kbit/s, {duration.TotalSeconds:0} s each");
        var (init, fragments, fragmentSeconds) = await ClipAsync(kbps);
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(".bodycam", "pids", "streaming.pid")), System.Globalization.CultureInfo.InvariantCulture);
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        using var metrics = new HttpClient { BaseAddress = streaming };

        foreach (var count in cameraCounts)
        {
            await Quiet.WaitAsync("bodycam");
            var cameras = await gateway.RecordingCamerasAsync("bench-live", count, admin, supervisor, control);
            var tokens = await Task.WhenAll(cameras.SelectMany(c => Enumerable.Range(0, viewersPerCamera).Select(async _ =>
                (await gateway.SendAsync(HttpMethod.Post, "api/authorisation/view-requests", control,
                    new { cameraId = c.CameraId, purpose = "resource-deployment", reason = "Deploying units to the crowd at the north gate", durationSeconds = 1800 }))
                .GetProperty("streamToken").GetString()!)));

            // The process's own idle work (bus, event store polling, sweeps, metrics) measured first,
            // for as long as the load will run, so the per-fragment figures can be given net of it.
            var idleCpuBefore = CpuSeconds(pid);
            var idleAllocatedBefore = await AllocatedBytesAsync(metrics);
            var idleStarted = Stopwatch.GetTimestamp();
            await Task.Delay(duration);
            var idleSeconds = Stopwatch.GetElapsedTime(idleStarted).TotalSeconds;
            var idleCpuRate = (CpuSeconds(pid) - idleCpuBefore) / idleSeconds;
            var idleAllocationRate = (await AllocatedBytesAsync(metrics) - idleAllocatedBefore) / idleSeconds;

            var maxSequence = (int)((duration + WarmUp).TotalSeconds / fragmentSeconds) + 300;
            var sentAt = new long[count, maxSequence];
            using var stop = new CancellationTokenSource();
            var pushes = cameras.Select((c, i) => PushAsync(streaming, c, init, fragments, fragmentSeconds, sentAt, i, stop.Token)).ToList();
            await Task.Delay(1500);

            var viewers = cameras.SelectMany((c, i) => Enumerable.Range(0, viewersPerCamera).Select(v => new Viewer(i, c.CameraId, tokens[(i * viewersPerCamera) + v]))).ToList();
            await Task.WhenAll(viewers.Select(v => v.ConnectAsync(streaming)));
            var receiving = viewers.Select(v => v.ReceiveAsync(sentAt, stop.Token)).ToList();
            // Warm up past the first window (six one-second segments): until then the fragment pool
            // is still growing, which is start-up, not the steady state being measured.
            await Task.Delay(WarmUp);

            // Measure from here: latencies, bytes, CPU and allocations over the same window.
            foreach (var viewer in viewers)
            {
                viewer.StartMeasuring();
            }

            var cpuBefore = CpuSeconds(pid);
            var allocatedBefore = await AllocatedBytesAsync(metrics);
            var started = Stopwatch.GetTimestamp();
            await Task.Delay(duration);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpu = CpuSeconds(pid) - cpuBefore;
            var allocated = await AllocatedBytesAsync(metrics) - allocatedBefore;
            var latencies = viewers.SelectMany(v => v.Latencies).Order().ToList();
            var bytes = viewers.Sum(v => v.MeasuredBytes);
            var fragmentViewers = viewers.Sum(v => v.MeasuredFragments);
            var dropped = viewers.Count(v => v.Closed);

            // Time to first frame: a joining viewer, from asking to connect to the first fragment received.
            var joins = new List<double>();
            for (var j = 0; j < 20; j++)
            {
                var camera = j % count;
                var joiner = new Viewer(camera, cameras[camera].CameraId, tokens[camera * viewersPerCamera]);
                var asked = Stopwatch.GetTimestamp();
                await joiner.ConnectAsync(streaming);
                await joiner.FirstFragmentAsync();
                joins.Add(Stopwatch.GetElapsedTime(asked).TotalMilliseconds);
                await joiner.DisposeAsync();
                await Task.Delay(137);
            }

            await stop.CancelAsync();
            await Task.WhenAll(pushes.Concat(receiving).Select(t => t.ContinueWith(_ => { })));
            foreach (var viewer in viewers)
            {
                await viewer.DisposeAsync();
            }

            var conditions = $"{count} cameras × {viewersPerCamera} WebSocket viewers, {kbps} kbit/s clip ({fragmentSeconds * 1000:0} ms fragments) paced by the generator straight to the streaming service, " +
                $"{seconds:0} s after {WarmUp.TotalSeconds:0} s warm-up; {latencies.Count:N0} fragment deliveries, {bytes / 1e9:0.00} GB to viewers, {dropped} viewers dropped; generator and viewers in one process on the same machine; {Report.Machine}";
            report.Add(new Figure($"relay latency p50, {count} cameras", Report.Percentile(latencies, 50), "ms", conditions));
            report.Add(new Figure($"relay latency p95, {count} cameras", Report.Percentile(latencies, 95), "ms", conditions, "under 3 ms"));
            report.Add(new Figure($"relay latency p99, {count} cameras", Report.Percentile(latencies, 99), "ms", conditions));
            var netCpu = cpu - (idleCpuRate * seconds);
            var netAllocated = allocated - (idleAllocationRate * seconds);
            report.Add(new Figure($"streaming CPU per GB delivered, {count} cameras", netCpu / (bytes / 1e9), "CPU-s/GB",
                $"net of idle: {cpu:0.00} CPU-s under load less {idleCpuRate * seconds:0.00} CPU-s the idle process used in the same time (gross {cpu / (bytes / 1e9):0.0} CPU-s/GB); " + conditions, "at most 2.5 CPU-s/GB (nginx-rtmp 4.8)"));
            report.Add(new Figure($"bytes allocated per fragment-viewer, {count} cameras", netAllocated / Math.Max(1, fragmentViewers), "bytes",
                $"net of idle: the streaming process allocated {allocated / 1e6:0.0} MB under load less {idleAllocationRate * seconds / 1e6:0.0} MB idle in the same time (gross {allocated / Math.Max(1, fragmentViewers):0} bytes), over {fragmentViewers:N0} fragment deliveries; " + conditions, "under 64 bytes"));
            joins.Sort();

            // The floor, measured now on the same machine with the same bytes, pacing and viewers.
            var floor = await PlainCopyFloor.MeasureAsync(init, fragments, fragmentSeconds, count, viewersPerCamera, TimeSpan.FromSeconds(3), duration);
            var floorConditions = $"the same {count} cameras × {viewersPerCamera} viewers, clip and pacing through a process that only copies each camera's bytes to its viewers' TCP sockets " +
                $"(no HTTP, WebSocket, MP4 parsing or grants); {floor.Latencies.Count:N0} fragment deliveries, {floor.Bytes / 1e9:0.00} GB in {floor.Seconds:0} s";
            report.Add(new Figure($"plain copy latency p50, {count} cameras (floor)", Report.Percentile(floor.Latencies, 50), "ms", floorConditions));
            report.Add(new Figure($"plain copy latency p99, {count} cameras (floor)", Report.Percentile(floor.Latencies, 99), "ms", floorConditions));
            report.Add(new Figure($"plain copy CPU per GB, {count} cameras (floor)", floor.CpuSeconds / Math.Max(1e-9, floor.Bytes / 1e9), "CPU-s/GB", floorConditions));
            report.Add(new Figure($"relay over plain copy, latency p50, {count} cameras", Report.Percentile(latencies, 50) / Report.Percentile(floor.Latencies, 50), "×", "relay p50 ÷ plain copy p50, same run"));
            report.Add(new Figure($"relay over plain copy, CPU per GB, {count} cameras", netCpu / (bytes / 1e9) / Math.Max(1e-9, floor.CpuSeconds / (floor.Bytes / 1e9)), "×", "relay net CPU-s/GB ÷ plain copy CPU-s/GB, same run"));
            report.Add(new Figure($"time to first frame p50, {count} cameras", Report.Percentile(joins, 50), "ms", "20 joins, connect → first fragment from the latest keyframe; " + conditions));
            report.Add(new Figure($"time to first frame p95, {count} cameras", Report.Percentile(joins, 95), "ms", "20 joins; " + conditions, "under 500 ms"));
        }
    }

    internal static async Task PushAsync(Uri streaming, (string CameraId, string DeviceToken) camera, byte[] init, byte[][] fragments, double fragmentSeconds, long[,] sentAt, int index, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = streaming, Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{camera.CameraId}/live")
        {
            Content = new PacedContent(init, fragments, fragmentSeconds, sentAt, index, stop),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", camera.DeviceToken);
        request.Headers.TransferEncodingChunked = true;
        try
        {
            using var response = await http.SendAsync(request, stop);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
        {
        }
    }

    /// <summary>A camera's body: the init segment, then one fragment every fragment duration, each stamped when its last byte is sent.</summary>
    private sealed class PacedContent(byte[] init, byte[][] fragments, double fragmentSeconds, long[,] sentAt, int camera, CancellationToken stop) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(init, stop);
            await stream.FlushAsync(stop);
            var start = Stopwatch.GetTimestamp() + Random.Shared.Next(0, (int)(Stopwatch.Frequency * fragmentSeconds));
            var buffer = new byte[fragments.Max(f => f.Length)];
            for (var sequence = 1; sequence < sentAt.GetLength(1) && !stop.IsCancellationRequested; sequence++)
            {
                var due = start + (long)((sequence - 1) * fragmentSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }

                var fragment = fragments[(sequence - 1) % fragments.Length];
                fragment.CopyTo(buffer, 0);
                BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(MfhdSequenceOffset(fragment)), (uint)sequence);
                await stream.WriteAsync(buffer.AsMemory(0, fragment.Length), stop);
                await stream.FlushAsync(stop);
                Volatile.Write(ref sentAt[camera, sequence], Stopwatch.GetTimestamp());
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private sealed class Viewer(int camera, string cameraId, string token) : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly TaskCompletionSource _firstFragment = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _measuring;

        public List<double> Latencies { get; } = [];

        public long MeasuredBytes { get; private set; }

        public long MeasuredFragments { get; private set; }

        public bool Closed { get; private set; }

        public Task ConnectAsync(Uri streaming) =>
            _socket.ConnectAsync(new Uri($"ws://{streaming.Authority}/live/{cameraId}/ws?access_token={Uri.EscapeDataString(token)}"), CancellationToken.None);

        public void StartMeasuring() => _measuring = true;

        public async Task FirstFragmentAsync()
        {
            var receiving = ReceiveAsync(null, CancellationToken.None);
            await _firstFragment.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        public async Task ReceiveAsync(long[,]? sentAt, CancellationToken stop)
        {
            var buffer = new byte[4 * 1024 * 1024];
            var messages = 0;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var length = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(length), stop);
                        length += result.Count;
                    }
                    while (!result.EndOfMessage);

                    var received = Stopwatch.GetTimestamp();
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        Closed = true;
                        return;
                    }

                    if (messages++ == 0)
                    {
                        continue; // the init segment
                    }

                    _firstFragment.TrySetResult();
                    if (sentAt is null || !_measuring)
                    {
                        continue;
                    }

                    var sequence = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(MfhdSequenceOffset(buffer)));
                    var sent = sequence < sentAt.GetLength(1) ? Volatile.Read(ref sentAt[camera, sequence]) : 0;
                    if (sent > 0)
                    {
                        Latencies.Add(Stopwatch.GetElapsedTime(sent, received).TotalMilliseconds);
                    }

                    MeasuredBytes += length;
                    MeasuredFragments++;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
        }

        public ValueTask DisposeAsync()
        {
            _socket.Abort();
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Where the mfhd sequence number sits in a moof + mdat: mfhd is the moof's first child.</summary>
    private static int MfhdSequenceOffset(ReadOnlySpan<byte> fragment) =>
        fragment.Slice(12, 4).SequenceEqual("mfhd"u8) ? 8 + 8 + 4 : throw new InvalidDataException("The fragment's moof does not start with mfhd.");

    /// <summary>A process's CPU time so far, from /proc (Linux).</summary>
    internal static double CpuSeconds(int pid)
    {
        // /proc/<pid>/stat fields 14 and 15: user and system time in clock ticks (100 per second).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    private static async Task<double> AllocatedBytesAsync(HttpClient metrics)
    {
        var text = await metrics.GetStringAsync("metrics");
        var match = AllocatedPattern().Match(text);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
    }

    [GeneratedRegex(@"^dotnet_gc_heap_total_allocated_bytes_total(?:\{[^}]*\})? ([0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex AllocatedPattern();

    /// <summary>A ten-second clip encoded once with ffmpeg, split into its init segment and its fragments.</summary>
    internal static async Task<(byte[] Init, byte[][] Fragments, double FragmentSeconds)> ClipAsync(int kbps)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-bench-{Guid.NewGuid():N}.mp4");
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t", "-t", "10",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
            "-b:v", $"{kbps}k", "-maxrate", $"{kbps}k", "-bufsize", $"{kbps}k", "-pix_fmt", "yuv420p",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000", file,
        })
        {
            info.ArgumentList.Add(arg);
        }

        using (var ffmpeg = Process.Start(info)!)
        {
            var errors = await ffmpeg.StandardError.ReadToEndAsync();
            await ffmpeg.WaitForExitAsync();
            if (ffmpeg.ExitCode != 0)
            {
                throw new InvalidOperationException($"ffmpeg could not encode the clip: {errors}");
            }
        }

        var bytes = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        var boxes = new List<(string Type, int Start, int Size)>();
        for (var at = 0; at + 8 <= bytes.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at));
            boxes.Add((System.Text.Encoding.ASCII.GetString(bytes, at + 4, 4), at, size));
            at += size;
        }

        var moov = boxes.First(b => b.Type == "moov");
        var init = bytes[..(moov.Start + moov.Size)];
        var fragments = new List<byte[]>();
        for (var i = 0; i < boxes.Count - 1; i++)
        {
            if (boxes[i].Type == "moof" && boxes[i + 1].Type == "mdat")
            {
                fragments.Add(bytes[boxes[i].Start..(boxes[i + 1].Start + boxes[i + 1].Size)]);
            }
        }

        var megabits = fragments.Sum(f => f.Length) * 8 / 1e6;
        Console.WriteLine($"  clip: {fragments.Count} fragments, {megabits / 10:0.00} Mbit/s");
        return (init, [.. fragments], 10.0 / fragments.Count);
    }
}
