using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// A push that is not what a camera should send is refused or ended cleanly, with a problem and an
/// event; the service stays up and a stream beside it, watched throughout, is untouched. Each kind of
/// hostile push and its record is tested in streaming's own tests, in process
/// (<c>BodyCam.Streaming.Tests/Pushing/PushRulesTests</c>); here, what needs the whole system: a
/// viewer beside it, the gateway in between, the process's CPU.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PushBadInputTests(BodyCamSystem system)
{
    private static readonly Lazy<Task<byte[]>> Clip = new(MakeClipAsync);

    [Fact]
    public async Task A_truncated_stream_ends_the_stream_cleanly_with_a_problem_and_an_event()
    {
        await AssertRefusedBesideALiveStreamAsync(
            clip => clip[..(clip.Length - 1000)],
            "media-truncated");
    }

    [Fact]
    public async Task A_second_push_for_a_camera_already_live_is_refused_and_the_first_goes_on()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.WaitForMessagesAsync(3);

        using var second = await PushAsync(camera, camera.CameraId, await Clip.Value);

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("urn:bodycam:problem:already-live", (await second.ProblemAsync()).GetProperty("type").GetString());
        var refused = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=LivePushRefused");
        Assert.Equal("already-live", refused[0].GetProperty("data").GetProperty("problem").GetString());
        var before = viewer.Count;
        await viewer.WaitForMessagesAsync(before + 5);
        Assert.False(viewer.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_trun_claiming_four_billion_samples_is_refused_and_streaming_is_idle_a_second_later()
    {
        var camera = await system.EnlistAsync();

        using var response = await PushAsync(camera, camera.CameraId, Hostile.TrunClaimingSamples(await Clip.Value, uint.MaxValue));

        await AssertMediaRejectedAsync(response, "media-bad-box");
        // A push stuck in a loop keeps a core busy for ever; anything else the process does (a start-up's
        // work, other tests' streams) comes and goes. The quietest of four seconds tells them apart.
        var pid = system.Service("streaming").Pid;
        var seconds = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            seconds.Add(await CpuShareAsync(pid, TimeSpan.FromSeconds(1)));
        }

        Assert.True(seconds.Min() < 0.5, $"streaming used {string.Join(", ", seconds.Select(s => s.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)))} of a core in the seconds after the hostile push");
        using var control = await system.ClientForAsync("control1");
        var streams = await control.GetFromJsonAsync<JsonElement[]>("api/streaming/streams");
        Assert.DoesNotContain(streams!, s => s.GetProperty("cameraId").GetString() == camera.CameraId);
    }

    [Fact]
    public async Task A_push_whose_fragments_arrive_a_byte_at_a_time_reaches_the_viewer_byte_for_byte()
    {
        var camera = await system.RecordingCameraAsync();
        var clip = await Clip.Value;
        var moof = Hostile.FirstBox(clip, "moof");
        var viewerReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The init segment at once; then the first two fragments a byte at a time, as over a bad mobile link.
        var trickle = Hostile.FirstBoxes(clip, "mdat", 2).End - moof;
        var everythingSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pushing = Task.Run(async () =>
        {
            using var content = new TricklingContent(clip, moof, trickle, viewerReady.Task, everythingSeen.Task);
            content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            return await camera.Device.PostAsync($"api/streaming/cameras/{camera.CameraId}/live", content);
        });
        // Live once its init segment is in, before any fragment (so its bitrate is still 0).
        using var control = await system.ClientForAsync("control1");
        var live = Eventually.Async(async () =>
            (await control.GetFromJsonAsync<JsonElement[]>("api/streaming/streams"))!.Any(s => s.GetProperty("cameraId").GetString() == camera.CameraId) ? (object)true : null,
            TimeSpan.FromSeconds(30), $"camera {camera.CameraId} to be live on its init segment alone");
        if (await Task.WhenAny(live, pushing) == pushing)
        {
            using var early = await pushing;
            Assert.Fail($"The push ended before the stream went live: {(int)early.StatusCode} {await early.Content.ReadAsStringAsync()}");
        }

        await live;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.WaitForMessagesAsync(1);
        viewerReady.SetResult();
        var media = await viewer.WaitForMessagesAsync(1 + Hostile.Count(clip, "moof"), TimeSpan.FromSeconds(60));
        everythingSeen.SetResult();

        using var pushed = await pushing;

        Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        Assert.Equal(clip[..moof], media[0]);
        Assert.Equal(Hostile.FragmentBytes(clip), media[1..].SelectMany(m => m).ToArray());
    }

    private static async Task AssertMediaRejectedAsync(HttpResponseMessage response, string reason)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:media-rejected", problem.GetProperty("type").GetString());
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
    }

    /// <summary>The share of one core a process used over <paramref name="window"/>, from /proc.</summary>
    private static async Task<double> CpuShareAsync(int pid, TimeSpan window)
    {
        static long Ticks(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        }

        var before = Ticks(pid);
        await Task.Delay(window);
        // /proc counts in clock ticks of 1/100 s.
        return (Ticks(pid) - before) / 100.0 / window.TotalSeconds;
    }

    /// <summary>A push refused after it went live, beside a watched stream: it ends with its problem, the bystander never notices.</summary>
    private async Task AssertRefusedBesideALiveStreamAsync(Func<byte[], byte[]> body, string problem)
    {
        var (bystander, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(bystander.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, bystander.CameraId, token);
        await viewer.WaitForMessagesAsync(3);
        var camera = await system.EnlistAsync();

        using var response = await PushAsync(camera, camera.CameraId, body(await Clip.Value));

        await AssertMediaRejectedAsync(response, problem);
        var refused = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=LivePushRefused");
        Assert.Equal(problem, refused[0].GetProperty("data").GetProperty("problem").GetString());
        var ended = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=StreamEnded");
        Assert.Equal(problem, ended[0].GetProperty("data").GetProperty("reason").GetString());

        // Nothing is left live for the refused camera; the bystander's viewer never noticed.
        using var control = await system.ClientForAsync("control1");
        var streams = await control.GetFromJsonAsync<JsonElement[]>("api/streaming/streams");
        Assert.DoesNotContain(streams!, s => s.GetProperty("cameraId").GetString() == camera.CameraId);
        var before = viewer.Count;
        await viewer.WaitForMessagesAsync(before + 3);
        Assert.False(viewer.Closed.IsCompleted);
        Assert.True(ffmpeg.Running, ffmpeg.Log);
    }

    private static async Task<HttpResponseMessage> PushAsync(TestCamera device, string cameraId, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        return await device.Device.PostAsync($"api/streaming/cameras/{cameraId}/live", content);
    }

    /// <summary>Two seconds of fragmented MP4, as a camera would push it, made by ffmpeg.</summary>
    private static async Task<byte[]> MakeClipAsync()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-clip-{Guid.NewGuid():N}.mp4");
        var (exit, output) = await LiveApi.RunAsync("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000", file);
        Assert.True(exit == 0, output);
        var bytes = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        return bytes;
    }
}

/// <summary>A body sent as a camera on a bad link sends it: a part at once, then a run a byte at a time, then the rest.</summary>
internal sealed class TricklingContent(byte[] body, int whole, int trickle, Task before, Task end) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
    {
        await stream.WriteAsync(body.AsMemory(0, whole));
        await stream.FlushAsync();
        await before;
        for (var i = whole; i < whole + trickle; i++)
        {
            await stream.WriteAsync(body.AsMemory(i, 1));
            await stream.FlushAsync();
        }

        await stream.WriteAsync(body.AsMemory(whole + trickle));
        await stream.FlushAsync();
        await end;
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

/// <summary>Hostile pushes made from a real one.</summary>
internal static class Hostile
{
    /// <summary>The first trun made to claim <paramref name="count"/> samples with no per-sample fields.</summary>
    public static byte[] TrunClaimingSamples(byte[] clip, uint count)
    {
        var body = clip.ToArray();
        var moof = FirstBox(body, "moof");
        var traf = Child(body, moof + 8, "traf");
        var trun = Child(body, traf + 8, "trun");
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(trun + 8), 0x000001);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(trun + 12), count);
        return body;
    }

    public static int FirstBox(byte[] body, string type) => Child(body, 0, type);

    /// <summary>Every moof and mdat, in order: what a viewer should receive after the init segment.</summary>
    public static byte[] FragmentBytes(byte[] body)
    {
        var bytes = new List<byte>();
        var at = 0;
        while (at + 8 <= body.Length)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
            if (System.Text.Encoding.ASCII.GetString(body, at + 4, 4) is "moof" or "mdat")
            {
                bytes.AddRange(body.AsSpan(at, size));
            }

            at += size;
        }

        return [.. bytes];
    }

    public static int Count(byte[] body, string type)
    {
        var (at, count) = (0, 0);
        while (at + 8 <= body.Length)
        {
            count += System.Text.Encoding.ASCII.GetString(body, at + 4, 4) == type ? 1 : 0;
            at += (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
        }

        return count;
    }

    /// <summary>Where the <paramref name="count"/>th top-level box of <paramref name="type"/> ends.</summary>
    public static (int Start, int End) FirstBoxes(byte[] body, string type, int count)
    {
        var at = 0;
        var seen = 0;
        while (at + 8 <= body.Length)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
            if (System.Text.Encoding.ASCII.GetString(body, at + 4, 4) == type && ++seen == count)
            {
                return (at, at + size);
            }

            at += size;
        }

        throw new InvalidOperationException($"fewer than {count} '{type}' boxes");
    }

    private static int Child(byte[] body, int from, string type)
    {
        var at = from;
        while (at + 8 <= body.Length)
        {
            if (System.Text.Encoding.ASCII.GetString(body, at + 4, 4) == type)
            {
                return at;
            }

            at += (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
        }

        throw new InvalidOperationException($"no '{type}' box");
    }
}
