using BodyCam.Streaming.Media;
using BodyCam.Streaming.Pushing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BodyCam.Streaming.Tests.Media;

/// <summary>A camera that stops sending keyframes is cut off, in time or in bytes, so a stream's window stays bounded.</summary>
public sealed class KeyframeWatchTests
{
    private static readonly byte[] Clip = Push.Corpus("camera-av.mp4");

    [Fact]
    public async Task A_camera_sending_keyframes_in_time_is_never_cut()
    {
        var time = new FakeTimeProvider();
        var watch = new KeyframeWatch(TimeSpan.FromSeconds(10), 64 * 1024 * 1024, time);

        foreach (var fragment in await FragmentsAsync())
        {
            time.Advance(TimeSpan.FromSeconds(2));
            Assert.Null(watch.Check(fragment));
        }
    }

    [Fact]
    public async Task A_camera_without_a_keyframe_for_longer_than_the_bound_is_cut()
    {
        var time = new FakeTimeProvider();
        var watch = new KeyframeWatch(TimeSpan.FromSeconds(10), 64 * 1024 * 1024, time);
        var fragments = await FragmentsAsync();
        var key = fragments.First(f => f.StartsWithKeyframe);
        var delta = fragments.First(f => !f.StartsWithKeyframe);

        Assert.Null(watch.Check(key));
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Null(watch.Check(delta));
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Contains("No keyframe", watch.Check(delta), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_camera_sending_too_many_bytes_without_a_keyframe_is_cut()
    {
        var fragments = await FragmentsAsync();
        var delta = fragments.First(f => !f.StartsWithKeyframe);
        var watch = new KeyframeWatch(TimeSpan.FromHours(1), delta.Length * 3L, new FakeTimeProvider());

        Assert.Null(watch.Check(delta));
        Assert.Null(watch.Check(delta));
        Assert.Null(watch.Check(delta));
        Assert.NotNull(watch.Check(delta));
    }

    private static async Task<List<Fragment>> FragmentsAsync()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        await pipe.Writer.WriteAsync(Clip);
        await pipe.Writer.CompleteAsync();
        var reader = new PushReader(pipe.Reader, 16 * 1024 * 1024);
        var init = await reader.ReadInitAsync(CancellationToken.None);
        var timeline = new Timeline();
        var fragments = new List<Fragment>();
        while (await reader.ReadFragmentAsync(init, timeline, CancellationToken.None) is { } fragment)
        {
            fragments.Add(fragment);
        }

        return fragments;
    }
}
