using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BodyCam.Bench;

/// <summary>
/// The floor under the relay: the same cameras, bytes, pacing and viewers through a process that
/// only copies each camera's bytes to its viewers' sockets (raw TCP, no HTTP, no WebSocket framing,
/// no MP4 understanding, no grants). What the relay costs above this is what BodyCam adds.
/// </summary>
public static class PlainCopyFloor
{
    /// <summary>The copying process: <c>BodyCam.Bench plain-copy-server PORT</c>.</summary>
    public static async Task ServeAsync(int port)
    {
        var viewers = new ConcurrentDictionary<string, ConcurrentBag<NetworkStream>>();
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Console.WriteLine($"plain copy listening on {port}");
        while (true)
        {
            var client = await listener.AcceptTcpClientAsync();
            client.NoDelay = true;
            _ = Task.Run(async () =>
            {
                var stream = client.GetStream();
                var line = await ReadLineAsync(stream);
                var (role, camera) = (line.Split(' ')[0], line.Split(' ')[1]);
                var bag = viewers.GetOrAdd(camera, _ => []);
                if (role == "VIEW")
                {
                    bag.Add(stream);
                    return;
                }

                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0)
                {
                    foreach (var viewer in bag)
                    {
                        await viewer.WriteAsync(buffer.AsMemory(0, read));
                    }
                }
            });
        }
    }

    private static async Task<string> ReadLineAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
        {
            bytes.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. bytes]);
    }

    public sealed record Result(List<double> Latencies, long Bytes, double CpuSeconds, double Seconds);

    /// <summary>Runs the copying process, pushes and views through it as the relay's run did, and measures.</summary>
    public static async Task<Result> MeasureAsync(byte[] init, byte[][] fragments, double fragmentSeconds, int cameras, int viewersPerCamera, TimeSpan warmUp, TimeSpan duration)
    {
        var port = FreePort();
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true };
        if (self.EndsWith("dotnet", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(typeof(PlainCopyFloor).Assembly.Location);
        }

        info.ArgumentList.Add("plain-copy-server");
        info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var server = Process.Start(info)!;
        await server.StandardOutput.ReadLineAsync();
        try
        {
            var maxSequence = (int)((duration + warmUp).TotalSeconds / fragmentSeconds) + 300;
            var sentAt = new long[cameras, maxSequence];
            using var stop = new CancellationTokenSource();
            var viewers = new List<FloorViewer>();
            for (var c = 0; c < cameras; c++)
            {
                for (var v = 0; v < viewersPerCamera; v++)
                {
                    viewers.Add(await FloorViewer.ConnectAsync(port, c));
                }
            }

            var receiving = viewers.Select(v => v.ReceiveAsync(sentAt, stop.Token)).ToList();
            var pushes = Enumerable.Range(0, cameras).Select(c => PushAsync(port, c, init, fragments, fragmentSeconds, sentAt, stop.Token)).ToList();
            await Task.Delay(warmUp);
            foreach (var viewer in viewers)
            {
                viewer.Measuring = true;
            }

            var cpuBefore = StreamingBench.CpuSeconds(server.Id);
            var started = Stopwatch.GetTimestamp();
            await Task.Delay(duration);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpu = StreamingBench.CpuSeconds(server.Id) - cpuBefore;
            foreach (var viewer in viewers)
            {
                viewer.Measuring = false;
            }

            await stop.CancelAsync();
            await Task.WhenAll(pushes.Concat(receiving).Select(t => t.ContinueWith(_ => { })));
            foreach (var viewer in viewers)
            {
                viewer.Dispose();
            }

            return new Result([.. viewers.SelectMany(v => v.Latencies).Order()], viewers.Sum(v => v.Bytes), cpu, seconds);
        }
        finally
        {
            server.Kill();
        }
    }

    private static async Task PushAsync(int port, int camera, byte[] init, byte[][] fragments, double fragmentSeconds, long[,] sentAt, CancellationToken stop)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, stop);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"PUSH {camera}\n"), stop);
        await stream.WriteAsync(init, stop);
        var start = Stopwatch.GetTimestamp() + Random.Shared.Next(0, (int)(Stopwatch.Frequency * fragmentSeconds));
        var buffer = new byte[fragments.Max(f => f.Length)];
        try
        {
            for (var sequence = 1; sequence < sentAt.GetLength(1) && !stop.IsCancellationRequested; sequence++)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)((sequence - 1) * fragmentSeconds * Stopwatch.Frequency));
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }

                var fragment = fragments[(sequence - 1) % fragments.Length];
                fragment.CopyTo(buffer, 0);
                BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(20), (uint)sequence);
                await stream.WriteAsync(buffer.AsMemory(0, fragment.Length), stop);
                Volatile.Write(ref sentAt[camera, sequence], Stopwatch.GetTimestamp());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A viewer of the raw copy: it finds each fragment's end in the byte stream (box sizes) and stamps it.</summary>
    private sealed class FloorViewer(TcpClient client, int camera) : IDisposable
    {
        public volatile bool Measuring;

        public List<double> Latencies { get; } = [];

        public long Bytes { get; private set; }

        public static async Task<FloorViewer> ConnectAsync(int port, int camera)
        {
            var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, port);
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"VIEW {camera}\n"));
            return new FloorViewer(client, camera);
        }

        public async Task ReceiveAsync(long[,] sentAt, CancellationToken stop)
        {
            var stream = client.GetStream();
            var pending = new byte[8 * 1024 * 1024];
            var filled = 0;
            var started = false;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var read = await stream.ReadAsync(pending.AsMemory(filled), stop);
                    if (read == 0)
                    {
                        return;
                    }

                    var received = Stopwatch.GetTimestamp();
                    filled += read;
                    if (Measuring)
                    {
                        Bytes += read;
                    }

                    // Whole boxes off the front: a moof is remembered, its mdat completes the fragment.
                    var at = 0;
                    while (filled - at >= 8)
                    {
                        var size = (int)BinaryPrimitives.ReadUInt32BigEndian(pending.AsSpan(at));
                        if (filled - at < size)
                        {
                            break;
                        }

                        var type = Encoding.ASCII.GetString(pending, at + 4, 4);
                        if (type == "moof")
                        {
                            _sequence = started ? BinaryPrimitives.ReadUInt32BigEndian(pending.AsSpan(at + 20)) : 0;
                        }
                        else if (type == "mdat" && _sequence > 0 && _sequence < sentAt.GetLength(1) && Measuring)
                        {
                            // On loopback the last byte can arrive before the sender has stamped it: wait for the stamp.
                            var spin = new SpinWait();
                            long sent;
                            while ((sent = Volatile.Read(ref sentAt[camera, _sequence])) == 0 && Stopwatch.GetElapsedTime(received).TotalMilliseconds < 5)
                            {
                                spin.SpinOnce();
                            }

                            if (sent > 0)
                            {
                                Latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(sent, received).TotalMilliseconds));
                            }
                        }
                        else if (type == "moov")
                        {
                            started = true;
                        }

                        at += size;
                    }

                    Buffer.BlockCopy(pending, at, pending, 0, filled - at);
                    filled -= at;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }
        }

        private uint _sequence;

        public void Dispose() => client.Dispose();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
