using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Threading.Channels;
using BodyCam.Testing;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// A real camera that keeps recording through a drop of its uplink: ffmpeg encodes in real time to
/// a pipe, and this side pushes each fragment live through the gateway while connected, keeps them
/// while the link is down, and on reconnecting pushes live again from the next keyframe and sends
/// what it kept as a back-fill, as a body camera on a mobile network would.
/// </summary>
internal sealed class BufferingCamera : IAsyncDisposable
{
    private readonly Process _ffmpeg;
    private readonly TestCamera _camera;
    private readonly BodyCamSystem _system;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly List<byte[]> _kept = [];
    // What went out last: the camera cannot know which of these reached streaming before the drop,
    // so its back-fill starts with them, and streaming files only what it does not already have.
    private readonly Queue<byte[]> _sent = new();
    private readonly TaskCompletionSource<byte[]> _init = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Channel<byte[]>? _uplink;
    private CancellationTokenSource? _push;
    private TaskCompletionSource? _resumed;
    private int _recordedOffline;
    private readonly Task _reading;

    private BufferingCamera(BodyCamSystem system, TestCamera camera, Process ffmpeg)
    {
        _system = system;
        _camera = camera;
        _ffmpeg = ffmpeg;
        _http = new HttpClient { BaseAddress = system.GatewayAddress, Timeout = Timeout.InfiniteTimeSpan };
        _reading = Task.Run(ReadAsync);
    }

    public static BufferingCamera Start(BodyCamSystem system, TestCamera camera)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
            "-b:v", "800k", "-maxrate", "800k", "-bufsize", "800k", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000", "pipe:1",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var ffmpeg = Process.Start(info)!;
        ffmpeg.ErrorDataReceived += (_, _) => { };
        ffmpeg.BeginErrorReadLine();
        var buffering = new BufferingCamera(system, camera, ffmpeg);
        buffering.Connect();
        return buffering;
    }

    /// <summary>Fragments recorded since the link last went down.</summary>
    public int RecordedOffline { get { lock (_gate) { return _recordedOffline; } } }

    /// <summary>The link goes down: the live push is cut off mid-body; recording goes on into the buffer.</summary>
    public void Drop()
    {
        lock (_gate)
        {
            _uplink?.Writer.TryComplete();
            _uplink = null;
            _kept.AddRange(_sent);
            _sent.Clear();
            _recordedOffline = 0;
            _push?.Cancel();
            _push = null;
        }
    }

    /// <summary>The link is back: live again from the next keyframe, and what was kept goes as a back-fill. Returns the back-fill's answer.</summary>
    public async Task<HttpResponseMessage> ReconnectAsync()
    {
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _resumed = resumed;
        }

        // The reader opens the live push at the next keyframe (a second away at most) and leaves the kept run behind it.
        await resumed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        List<byte[]> kept;
        lock (_gate)
        {
            kept = [.. _kept];
            _kept.Clear();
        }

        return await BackfillAsync([await _init.Task, .. kept]);
    }

    /// <summary>Sends a back-fill body (init segment and fragments) as this camera.</summary>
    public async Task<HttpResponseMessage> BackfillAsync(IEnumerable<byte[]> parts)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{_camera.CameraId}/live/backfill")
        {
            Content = new ByteArrayContent([.. parts.SelectMany(p => p)]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        request.Headers.Authorization = _camera.Device.DefaultRequestHeaders.Authorization;
        return await _http.SendAsync(request);
    }

    public Task<byte[]> Init => _init.Task;

    private void Connect(byte[]? first = null)
    {
        var uplink = Channel.CreateUnbounded<byte[]>();
        var push = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        if (first is not null)
        {
            uplink.Writer.TryWrite(first);
        }

        _uplink = uplink;
        _push = push;
        _ = PushAsync(uplink.Reader, push.Token);
    }

    private async Task PushAsync(ChannelReader<byte[]> uplink, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{_camera.CameraId}/live")
            {
                Content = new UplinkContent(_init.Task, uplink, cancellationToken),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            request.Headers.Authorization = _camera.Device.DefaultRequestHeaders.Authorization;
            request.Headers.TransferEncodingChunked = true;
            using var response = await _http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
            // The link went down (Drop) or the camera stopped.
        }
    }

    private async Task ReadAsync()
    {
        var output = _ffmpeg.StandardOutput.BaseStream;
        var init = new List<byte>();
        byte[]? moof = null;
        try
        {
            while (await ReadBoxAsync(output) is { } box)
            {
                var type = System.Text.Encoding.ASCII.GetString(box, 4, 4);
                if (type is "ftyp" or "moov")
                {
                    init.AddRange(box);
                    if (type == "moov")
                    {
                        _init.TrySetResult([.. init]);
                    }

                    continue;
                }

                if (type == "moof")
                {
                    moof = box;
                    continue;
                }

                if (type != "mdat" || moof is null)
                {
                    continue;
                }

                byte[] fragment = [.. moof, .. box];
                moof = null;
                lock (_gate)
                {
                    if (_resumed is { } resumed && Mp4Fragments.StartsWithKeyframe(fragment))
                    {
                        _resumed = null;
                        Connect(fragment);
                        resumed.TrySetResult();
                    }
                    else if (_uplink is { } uplink)
                    {
                        uplink.Writer.TryWrite(fragment);
                        _sent.Enqueue(fragment);
                        if (_sent.Count > 10)
                        {
                            _sent.Dequeue();
                        }
                    }
                    else
                    {
                        _kept.Add(fragment);
                        _recordedOffline++;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private static async Task<byte[]?> ReadBoxAsync(Stream output)
    {
        var header = new byte[8];
        if (!await FillAsync(output, header))
        {
            return null;
        }

        var size = (int)BinaryPrimitives.ReadUInt32BigEndian(header);
        var box = new byte[size];
        header.CopyTo(box, 0);
        return await FillAsync(output, box.AsMemory(8)) ? box : null;
    }

    private static async Task<bool> FillAsync(Stream output, Memory<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await output.ReadAsync(buffer[read..]);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Drop();
        if (!_ffmpeg.HasExited)
        {
            _ffmpeg.Kill();
            await _ffmpeg.WaitForExitAsync();
        }

        await _reading;
        _ffmpeg.Dispose();
        _http.Dispose();
    }

    /// <summary>The push body: the init segment, then each fragment as the camera records it, until the link drops.</summary>
    private sealed class UplinkContent(Task<byte[]> init, ChannelReader<byte[]> fragments, CancellationToken cancellationToken) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(await init, cancellationToken);
            await foreach (var fragment in fragments.ReadAllAsync(cancellationToken))
            {
                await stream.WriteAsync(fragment, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            // The link dropped: never end the body cleanly (that would end the stream).
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>Reads what a test needs from a moof + mdat fragment: whether it starts with a keyframe, and where it starts on the media clock.</summary>
internal static class Mp4Fragments
{
    /// <summary>Whether the first sample of track 1 (ffmpeg's video) is a sync sample.</summary>
    public static bool StartsWithKeyframe(byte[] fragment)
    {
        if (!HasVideo(fragment))
        {
            return false;
        }

        var traf = VideoTraf(fragment);
        uint? flags = null;
        foreach (var (type, at, _) in Children(fragment, traf.Start + 8, traf.End))
        {
            if (type == "tfhd" && (BinaryPrimitives.ReadUInt32BigEndian(fragment.AsSpan(at + 8)) & 0x20) != 0)
            {
                var tfhdFlags = BinaryPrimitives.ReadUInt32BigEndian(fragment.AsSpan(at + 8)) & 0xFFFFFF;
                var offset = at + 16 + ((tfhdFlags & 0x01) != 0 ? 8 : 0) + ((tfhdFlags & 0x02) != 0 ? 4 : 0) + ((tfhdFlags & 0x08) != 0 ? 4 : 0) + ((tfhdFlags & 0x10) != 0 ? 4 : 0);
                flags ??= BinaryPrimitives.ReadUInt32BigEndian(fragment.AsSpan(offset));
            }
            else if (type == "trun")
            {
                var trunFlags = BinaryPrimitives.ReadUInt32BigEndian(fragment.AsSpan(at + 8)) & 0xFFFFFF;
                var offset = at + 16 + ((trunFlags & 0x01) != 0 ? 4 : 0);
                if ((trunFlags & 0x04) != 0)
                {
                    flags = BinaryPrimitives.ReadUInt32BigEndian(fragment.AsSpan(offset));
                }
                else if ((trunFlags & 0x400) != 0)
                {
                    offset += ((trunFlags & 0x100) != 0 ? 4 : 0) + ((trunFlags & 0x200) != 0 ? 4 : 0);
                    flags = BinaryPrimitives.ReadUInt32BigEndian(fragment.AsSpan(offset));
                }
            }
        }

        return flags is { } f && (f & 0x00010000) == 0;
    }

    /// <summary>Track 1's decode time (tfdt), in its timescale.</summary>
    public static ulong DecodeTime(byte[] fragment)
    {
        var traf = VideoTraf(fragment);
        foreach (var (type, at, _) in Children(fragment, traf.Start + 8, traf.End))
        {
            if (type == "tfdt")
            {
                return fragment[at + 8] == 1
                    ? BinaryPrimitives.ReadUInt64BigEndian(fragment.AsSpan(at + 12))
                    : BinaryPrimitives.ReadUInt32BigEndian(fragment.AsSpan(at + 12));
            }
        }

        throw new InvalidDataException("The fragment's video track has no tfdt.");
    }

    /// <summary>Whether it carries track 1 (a muxer may cut a fragment of audio alone).</summary>
    public static bool HasVideo(byte[] fragment)
    {
        try
        {
            VideoTraf(fragment);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static (int Start, int End) VideoTraf(byte[] fragment)
    {
        var moofSize = (int)BinaryPrimitives.ReadUInt32BigEndian(fragment);
        foreach (var (type, at, size) in Children(fragment, 8, moofSize))
        {
            if (type == "traf")
            {
                foreach (var (child, childAt, _) in Children(fragment, at + 8, at + size))
                {
                    if (child == "tfhd" && BinaryPrimitives.ReadUInt32BigEndian(fragment.AsSpan(childAt + 12)) == 1)
                    {
                        return (at, at + size);
                    }
                }
            }
        }

        throw new InvalidDataException("The fragment has no track 1.");
    }

    private static IEnumerable<(string Type, int At, int Size)> Children(byte[] bytes, int start, int end)
    {
        for (var at = start; at + 8 <= end;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at));
            if (size < 8 || at + size > end)
            {
                yield break;
            }

            yield return (System.Text.Encoding.ASCII.GetString(bytes, at + 4, 4), at, size);
            at += size;
        }
    }
}
