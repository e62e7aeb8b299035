using System.Diagnostics;
using System.IO.Pipelines;
using BodyCam.Streaming.Live;
using BodyCam.Streaming.Media;
using Xunit;

namespace BodyCam.Streaming.Tests.Live;

/// <summary>
/// A stream's gaps and back-fill, on real media (ffmpeg, a keyframe a second, 200 ms fragments):
/// a drop leaves a gap by the camera's clock; what the camera kept fills it in place, once; a viewer
/// who rewinds gets the whole run in media order; live viewers never get back-fill.
/// </summary>
public sealed class BackfillTests
{
    private static readonly Lazy<Task<byte[]>> Clip = new(EncodeAsync);

    [Fact]
    public async Task A_back_fill_fills_the_gap_a_drop_left_in_place_once_and_never_to_live_viewers()
    {
        var (init, fragments) = await ReadAsync(await Clip.Value);
        var stream = new LiveStream("CAM-1", "live-1", init, DateTimeOffset.UtcNow, windowSegments: 2);
        var live = Viewer();
        // Ten fragments, then the link drops; the camera comes back at the keyframe of fragment 15.
        for (var i = 0; i < 10; i++)
        {
            stream.Publish(fragments[i]);
        }

        Assert.True(stream.Join(live));
        Assert.True(stream.GapKnown().IsCompleted);
        stream.Dropped(DateTimeOffset.UtcNow);
        Assert.True(stream.TryResume(DateTimeOffset.UtcNow, out _));
        // A back-fill sent the moment the camera reconnects waits until the resumed push says where the gap ends.
        var known = stream.GapKnown();
        Assert.False(known.IsCompleted);
        Assert.Empty(stream.Gaps);
        Assert.True(fragments[15].StartsWithKeyframe);
        for (var i = 15; i < fragments.Count; i++)
        {
            stream.Publish(fragments[i]);
        }

        Assert.True(known.IsCompleted);
        var gap = Assert.Single(stream.Gaps);
        Near(fragments[15].DecodeTime - fragments[10].DecodeTime, gap.Missed);
        Assert.Equal(TimeSpan.Zero, gap.Filled);
        var liveSent = Drain(live);

        // The camera sends the last two it sent before the drop (already here) and the five it kept.
        var (_, again) = await ReadAsync(await Clip.Value);
        var filed = again.Skip(8).Take(7).Select(stream.Fill).ToList();
        Assert.Equal([false, false, true, true, true, true, true], filed);
        gap = Assert.Single(stream.Gaps);
        Near(gap.Missed, gap.Filled);
        Near(TimeSpan.Zero, gap.Left);

        // Sent again, nothing is filed twice; live viewers got nothing of it.
        var (_, third) = await ReadAsync(await Clip.Value);
        Assert.All(third.Skip(10).Take(5), f => Assert.False(stream.Fill(f)));
        Assert.Empty(Drain(live));
        Assert.DoesNotContain(liveSent, t => t >= fragments[10].DecodeTime && t < fragments[15].DecodeTime);

        // A viewer rewinding to the start gets every fragment once, in media order, from a keyframe.
        var rewind = Viewer();
        Assert.True(stream.Join(rewind, TimeSpan.FromMinutes(1)));
        var times = rewind.Backlog!.Select(f => f.DecodeTime).ToList();
        Assert.Equal(fragments.Select(f => f.DecodeTime), times);
        Assert.True(rewind.Backlog![0].StartsWithKeyframe);
    }

    [Fact]
    public async Task A_fragment_that_cannot_be_decoded_where_it_would_go_is_not_filed_and_the_hole_is_reported()
    {
        var (init, fragments) = await ReadAsync(await Clip.Value);
        var stream = new LiveStream("CAM-1", "live-1", init, DateTimeOffset.UtcNow, windowSegments: 2);
        for (var i = 0; i < 5; i++)
        {
            stream.Publish(fragments[i]);
        }

        stream.Dropped(DateTimeOffset.UtcNow);
        Assert.True(stream.TryResume(DateTimeOffset.UtcNow, out _));
        stream.Publish(fragments[15]);

        // Fragment 6 does not start with a keyframe and does not follow what is filed (5 is missing).
        var (_, kept) = await ReadAsync(await Clip.Value);
        Assert.False(kept[6].StartsWithKeyframe);
        Assert.False(stream.Fill(kept[6]));
        // From the keyframe at 10 the rest can be decoded: filed, with a hole of 5-9 reported.
        Assert.True(kept[10].StartsWithKeyframe);
        Assert.All(kept.Skip(10).Take(5), f => Assert.True(stream.Fill(f)));
        var gap = Assert.Single(stream.Gaps);
        Near(kept[10].DecodeTime - kept[5].DecodeTime, gap.Left);
    }

    [Fact]
    public async Task A_camera_that_restarted_its_clock_leaves_a_gap_that_cannot_be_filled()
    {
        var (init, fragments) = await ReadAsync(await Clip.Value);
        var stream = new LiveStream("CAM-1", "live-1", init, DateTimeOffset.UtcNow, windowSegments: 2);
        for (var i = 0; i < 10; i++)
        {
            stream.Publish(fragments[i]);
        }

        stream.Dropped(DateTimeOffset.UtcNow);
        Assert.True(stream.TryResume(DateTimeOffset.UtcNow, out _));
        // The restarted encoder's first fragment is at its own zero: the stream's timeline shifts it on.
        var (_, restarted) = await ReadAsync(await Clip.Value, stream.Timeline);
        stream.Publish(restarted[0]);
        var gap = Assert.Single(stream.Gaps);
        Near(TimeSpan.Zero, gap.Missed);
        var (_, kept) = await ReadAsync(await Clip.Value);
        Assert.False(stream.Fill(kept[10]));
    }

    /// <summary>Equal to the millisecond: durations are summed from each track's timescale.</summary>
    private static void Near(TimeSpan expected, TimeSpan actual) =>
        Assert.True((expected - actual).Duration() < TimeSpan.FromMilliseconds(1), $"expected {expected}, got {actual}");

    private static WebSocketViewer Viewer() =>
        new(new ViewerPass("officer1", "grant-1", "CAM-1", "officer-safety", DateTimeOffset.UtcNow.AddMinutes(5)), "127.0.0.1", DateTimeOffset.UtcNow, 1000, 64 * 1024 * 1024);

    /// <summary>The decode times of what the viewer's queue holds, taken out.</summary>
    private static List<TimeSpan> Drain(WebSocketViewer viewer)
    {
        var times = new List<TimeSpan>();
        while (viewer.Queue.TryRead(out var fragment))
        {
            times.Add(fragment.DecodeTime);
            fragment.Release();
        }

        return times;
    }

    private static async Task<(InitSegment Init, List<Fragment> Fragments)> ReadAsync(byte[] clip, Timeline? timeline = null)
    {
        var reader = new PushReader(PipeReader.Create(new MemoryStream(clip)), 16 * 1024 * 1024);
        var init = await reader.ReadInitAsync(CancellationToken.None);
        timeline ??= new Timeline();
        var fragments = new List<Fragment>();
        while (await reader.ReadFragmentAsync(init, timeline, CancellationToken.None) is { } fragment)
        {
            fragments.Add(fragment);
        }

        return (init, fragments);
    }

    private static async Task<byte[]> EncodeAsync()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-backfill-{Guid.NewGuid():N}.mp4");
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "4",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000", file,
        })
        {
            info.ArgumentList.Add(arg);
        }

        using var ffmpeg = Process.Start(info)!;
        var errors = await ffmpeg.StandardError.ReadToEndAsync();
        await ffmpeg.WaitForExitAsync();
        Assert.True(ffmpeg.ExitCode == 0, errors);
        var bytes = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        return bytes;
    }
}
