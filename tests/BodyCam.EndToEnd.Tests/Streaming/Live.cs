using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>A real camera: ffmpeg encoding a test pattern and pushing it live through the gateway.</summary>
internal sealed class FfmpegCamera : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private FfmpegCamera(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.BeginErrorReadLine();
    }

    public string Log => string.Join('\n', _log);

    public bool Running => !_process.HasExited;

    /// <summary>Starts pushing <paramref name="cameraId"/>'s live media with its device token.</summary>
    public static FfmpegCamera Start(BodyCamSystem system, TestCamera camera, string size = "640x360", int kbps = 800, string? video = null)
    {
        var token = camera.Device.DefaultRequestHeaders.Authorization!.Parameter!;
        var source = video ?? $"testsrc2=size={size}:rate=30";
        var info = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", source,
            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
            "-b:v", $"{kbps}k", "-maxrate", $"{kbps}k", "-bufsize", $"{kbps}k", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000",
            "-content_type", "video/mp4", "-headers", $"Authorization: Bearer {token}\r\n",
            "-method", "POST", new Uri(system.GatewayAddress, $"api/streaming/cameras/{camera.CameraId}/live").ToString(),
        })
        {
            info.ArgumentList.Add(arg);
        }

        return new FfmpegCamera(Process.Start(info)!);
    }

    /// <summary>Stops as a camera does when it stops recording: ffmpeg finishes the body cleanly.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        await _process.StandardInput.WriteAsync('q');
        await _process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }
    }

    /// <summary>Drops the connection as a camera losing its signal would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A viewer on the WebSocket: keeps every message it receives and how the server closed.</summary>
internal sealed class LiveViewer : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly List<byte[]> _messages = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _receiving;

    private LiveViewer(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = Task.Run(ReceiveAsync);
    }

    public int Count { get { lock (_messages) { return _messages.Count; } } }

    public byte[][] Messages { get { lock (_messages) { return [.. _messages]; } } }

    public Task Closed => _closed.Task;

    public DateTime? ClosedAt { get; private set; }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    public static Uri Address(BodyCamSystem system, string cameraId, string? token, string? query = null) =>
        new UriBuilder(new Uri(system.GatewayAddress, $"live/{cameraId}/ws"))
        {
            Scheme = "ws",
            Query = string.Join('&', new[] { token is null ? null : $"access_token={Uri.EscapeDataString(token)}", query }.OfType<string>()),
        }.Uri;

    public static async Task<LiveViewer> ConnectAsync(BodyCamSystem system, string cameraId, string token, string? query = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(Address(system, cameraId, token, query), CancellationToken.None);
        return new LiveViewer(socket);
    }

    /// <summary>Tries to connect and returns the HTTP status the handshake was refused with, and its body.</summary>
    public static async Task<(HttpStatusCode Status, int BytesReceived)> RefusedAsync(BodyCamSystem system, string cameraId, string? token, string? bearer = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {bearer}");
        }

        try
        {
            await socket.ConnectAsync(Address(system, cameraId, token), CancellationToken.None);
        }
        catch (WebSocketException)
        {
            return (socket.HttpStatusCode, 0);
        }

        // Accepted after all: count what arrives, which the caller expects to be nothing.
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var received = 0;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, timeout.Token);
                received += result.Count;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            return (socket.HttpStatusCode, received);
        }
    }

    /// <summary>Connects straight to streaming with a socket whose receive buffer is tiny and never reads from it: a stalled viewer.</summary>
    public static async Task<ClientWebSocket> ConnectStalledAsync(BodyCamSystem system, string cameraId, string token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        // Straight to streaming: through the gateway, the proxy's own socket buffers take some 14 MB
        // before the relay can see the viewer fall behind, and on a loaded machine a camera may not
        // produce that much in minutes. The relay's judgement is what is under test.
        var direct = new UriBuilder(new Uri(system.Service("streaming").Address, $"live/{cameraId}/ws"))
        {
            Scheme = "ws",
            Query = $"access_token={Uri.EscapeDataString(token)}",
        }.Uri;
        var client = new ClientWebSocket();
        await client.ConnectAsync(direct, new HttpMessageInvoker(handler), CancellationToken.None);
        return client;
    }

    public async Task<byte[][]> WaitForMessagesAsync(int count, TimeSpan? timeout = null) =>
        await Eventually.Async(() => Task.FromResult(Count >= count ? Messages : null), timeout ?? TimeSpan.FromSeconds(20), $"{count} WebSocket messages");

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1024 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                lock (_messages)
                {
                    _messages.Add(message.ToArray());
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            // ObjectDisposedException: DisposeAsync aborted the socket while this loop asked for more.
        }

        ClosedAt = DateTime.UtcNow;
        _closed.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        _socket.Abort();
        await _receiving;
        _socket.Dispose();
    }
}

/// <summary>Grants, streams and media checks the streaming tests share.</summary>
internal static class LiveApi
{
    public const string Reason = "Colleague alone at a disturbance on Broad Street";

    /// <summary>A registered camera, issued to an officer in command B, recording, and pushing with ffmpeg; returns once it is live.</summary>
    public static async Task<(TestCamera Camera, FfmpegCamera Ffmpeg)> LiveCameraAsync(this BodyCamSystem system, int kbps = 800, string? video = null)
    {
        var camera = await system.RecordingCameraAsync();
        var ffmpeg = FfmpegCamera.Start(system, camera, kbps: kbps, video: video);
        await system.WaitLiveAsync(camera.CameraId, ffmpeg);
        return (camera, ffmpeg);
    }

    public static async Task<JsonElement> WaitLiveAsync(this BodyCamSystem system, string cameraId, FfmpegCamera? ffmpeg = null)
    {
        using var control = await system.ClientForAsync("control1");
        return await Eventually.Async(async () =>
        {
            Assert.True(ffmpeg?.Running ?? true, $"ffmpeg stopped: {ffmpeg?.Log}");
            var streams = await control.GetFromJsonAsync<JsonElement[]>("api/streaming/streams");
            return streams!.Where(s => s.GetProperty("cameraId").GetString() == cameraId && s.GetProperty("bitrateKbps").GetInt32() > 0)
                .Cast<JsonElement?>().FirstOrDefault() is { } live ? (object)live : null;
        }, TimeSpan.FromSeconds(30), $"camera {cameraId} to be live") is JsonElement found ? found : default;
    }

    /// <summary>Asks to watch, as <paramref name="viewer"/>; returns the grant id and the stream token.</summary>
    public static async Task<(string GrantId, string StreamToken)> GrantAsync(this BodyCamSystem system, string cameraId, string viewer = "officer1", int? durationSeconds = null)
    {
        using var http = await system.ClientForAsync(viewer);
        using var response = await http.PostAsJsonAsync("api/authorisation/view-requests",
            new { cameraId, purpose = "officer-safety", reason = Reason, durationSeconds });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"view request: {(int)response.StatusCode} {body}");
        var grant = JsonDocument.Parse(body).RootElement;
        return (grant.GetProperty("grantId").GetString()!, grant.GetProperty("streamToken").GetString()!);
    }

    public static async Task RevokeAsync(this BodyCamSystem system, string grantId, string reason, string by = "supervisor1")
    {
        using var http = await system.ClientForAsync(by);
        using var response = await http.PostAsJsonAsync($"api/authorisation/grants/{grantId}/revoke", new { reason });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The top-level box types of an MP4 byte run.</summary>
    public static List<string> BoxTypes(ReadOnlySpan<byte> bytes)
    {
        var types = new List<string>();
        var at = 0;
        while (at + 8 <= bytes.Length)
        {
            var size = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[at..]);
            types.Add(System.Text.Encoding.ASCII.GetString(bytes.Slice(at + 4, 4)));
            if (size < 8)
            {
                break;
            }

            at += size;
        }

        return types;
    }

    /// <summary>Runs ffprobe (or ffmpeg) on bytes written to a file; returns the exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> ProbeAsync(string tool, IEnumerable<byte[]> parts, params string[] arguments)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-probe-{Guid.NewGuid():N}.mp4");
        await using (var out_ = File.Create(file))
        {
            foreach (var part in parts)
            {
                await out_.WriteAsync(part);
            }
        }

        try
        {
            return await RunAsync(tool, [.. arguments.Select(a => a == "{file}" ? file : a)]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
