using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;

namespace BodyCam.Cluster.Tests;

/// <summary>A camera pushing live media with ffmpeg (small, so several fit on two cores beside a cluster).</summary>
internal sealed class Ffmpeg : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private Ffmpeg(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.BeginErrorReadLine();
    }

    public bool Running => !_process.HasExited;

    public string Log => string.Join('\n', _log);

    public static Ffmpeg Push(Uri gateway, (string Id, string Token) camera)
    {
        // A camera is a device of its own: on this shared machine its encoder runs ahead of the
        // cluster's processes (nice -5; unprivileged, nice says so and runs it as it is), so a
        // camera pushing again is not held up by the load of the failover it is measuring.
        var info = new ProcessStartInfo("nice") { RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            "-n", "-5", "ffmpeg",
            "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-keyint_min", "15", "-sc_threshold", "0",
            "-b:v", "200k", "-maxrate", "200k", "-bufsize", "200k", "-pix_fmt", "yuv420p",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000",
            "-content_type", "video/mp4", "-headers", $"Authorization: Bearer {camera.Token}\r\n",
            "-method", "POST", new Uri(gateway, $"api/streaming/cameras/{camera.Id}/live").ToString(),
        })
        {
            info.ArgumentList.Add(arg);
        }

        return new Ffmpeg(Process.Start(info)!);
    }

    public Task ExitedAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A camera recording: it pushes through its gateway, and whenever its push ends it connects again
/// through the same gateway after a quarter of a second, as a camera does, until it is disposed.
/// </summary>
internal sealed class RecordingCamera : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<EndedPush> _ended = new();
    private readonly Task _pushing;

    private RecordingCamera(Uri gateway, (string Id, string Token) camera) => _pushing = Task.Run(() => PushAsync(gateway, camera));

    public static RecordingCamera Start(Uri gateway, (string Id, string Token) camera) => new(gateway, camera);

    /// <summary>A push that ended: when it began, when it ended, and ffmpeg's last words.</summary>
    public sealed record EndedPush(DateTimeOffset Began, DateTimeOffset Ended, string Why);

    /// <summary>Every push that ended, in order.</summary>
    public IReadOnlyList<EndedPush> Ended => [.. _ended];

    /// <summary>The first time a push ended at or after <paramref name="since"/>.</summary>
    public DateTimeOffset? DroppedAfter(DateTimeOffset since) => _ended.Where(p => p.Ended >= since).Select(p => (DateTimeOffset?)p.Ended).FirstOrDefault();

    private async Task PushAsync(Uri gateway, (string Id, string Token) camera)
    {
        while (!_stop.IsCancellationRequested)
        {
            var began = DateTimeOffset.UtcNow;
            await using var push = Ffmpeg.Push(gateway, camera);
            try
            {
                await push.ExitedAsync(_stop.Token);
                _ended.Enqueue(new EndedPush(began, DateTimeOffset.UtcNow, push.Log.Split('\n').LastOrDefault(l => l.Length > 0) ?? "(ffmpeg said nothing)"));
                // A camera's pause before it connects again (pacing, not a wait for an outcome).
                await Task.Delay(TimeSpan.FromMilliseconds(250), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pushing;
        _stop.Dispose();
    }
}

/// <summary>A viewer on the WebSocket through a gateway, counting the messages it receives.</summary>
internal sealed class Viewer : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Task _receiving;
    private int _messages;
    private volatile bool _closed;

    private Viewer(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = Task.Run(ReceiveAsync);
    }

    public int Messages => Volatile.Read(ref _messages);

    public bool Closed => _closed;

    public static async Task<Viewer> ConnectAsync(Uri gateway, string cameraId, string token)
    {
        var socket = new ClientWebSocket();
        var address = new UriBuilder(new Uri(gateway, $"live/{cameraId}/ws")) { Scheme = "ws", Query = $"access_token={Uri.EscapeDataString(token)}" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(address, timeout.Token);
        return new Viewer(socket);
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (result.EndOfMessage)
                {
                    Interlocked.Increment(ref _messages);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        _closed = true;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _receiving;
        _socket.Dispose();
    }
}
