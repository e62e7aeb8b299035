using System.Diagnostics;
using BodyCam.Simulator;
using Xunit;

namespace BodyCam.Simulator.Tests;

/// <summary>The simulator's clip, encoded by a real ffmpeg and looped: ffmpeg reads the loop as one continuous recording.</summary>
public sealed class LoopedClipTests
{
    private static readonly Lazy<Task<LoopedClip>> Clip = new(() =>
        LoopedClip.EncodeAsync(Path.Combine(Path.GetTempPath(), $"bodycam-sim-tests-{Environment.ProcessId}"), seconds: 4, kbps: 300));

    [Fact]
    public async Task Each_pass_moves_every_tracks_decode_time_on_by_exactly_one_pass()
    {
        var clip = await Clip.Value;
        Assert.Equal(2, clip.Periods.Count);
        Assert.InRange(clip.Length.TotalSeconds, 3.0, 4.0);
        var first = LoopedClip.DecodeTimes(clip.Fragment(0, 0, 1));
        var third = LoopedClip.DecodeTimes(clip.Fragment(0, 2, 99));
        foreach (var (track, period) in clip.Periods)
        {
            Assert.True(period > 0);
            Assert.Equal(first[track] + (2 * period), third[track]);
        }

        // The original fragments are untouched: every camera shares them.
        Assert.Equal(first, LoopedClip.DecodeTimes(clip.Fragments[0]));
    }

    [Fact]
    public async Task The_clip_knows_which_fragments_start_with_a_keyframe_so_a_reconnecting_camera_resumes_on_one()
    {
        // A keyframe a second (-g 15 at 15 fps) and half-second fragments: every other fragment, from the first.
        var clip = await Clip.Value;
        Assert.True(clip.Keyframes[0]);
        Assert.Equal(clip.Fragments.Length, clip.Keyframes.Length);
        for (var i = 0; i < clip.Keyframes.Length; i++)
        {
            Assert.Equal(i % 2 == 0, clip.Keyframes[i]);
        }

        // ffprobe agrees about the second fragment: it does not start with a keyframe.
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-sim-key-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(file, [.. clip.Init, .. clip.Fragments[1]]);
        try
        {
            var info = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "-v", "error", "-select_streams", "v", "-show_entries", "packet=flags", "-of", "csv=p=0", file })
            {
                info.ArgumentList.Add(arg);
            }

            using var probe = Process.Start(info)!;
            var flags = await probe.StandardOutput.ReadToEndAsync();
            await probe.WaitForExitAsync();
            Assert.StartsWith("_", flags.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Three_passes_decode_as_one_stream_three_passes_long()
    {
        var clip = await Clip.Value;
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-sim-loop-{Guid.NewGuid():N}.mp4");
        await using (var output = File.Create(file))
        {
            await output.WriteAsync(clip.Init);
            uint sequence = 1;
            for (var pass = 0; pass < 3; pass++)
            {
                for (var i = 0; i < clip.Fragments.Length; i++)
                {
                    await output.WriteAsync(clip.Fragment(i, pass, sequence++));
                }
            }
        }

        try
        {
            var (exit, errors) = await RunAsync("ffmpeg", "-v", "error", "-i", file, "-f", "null", "-");
            Assert.True(exit == 0 && errors.Trim().Length == 0, errors);
            var (_, duration) = await RunAsync("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file);
            Assert.InRange(double.Parse(duration.Trim(), System.Globalization.CultureInfo.InvariantCulture),
                (3 * clip.Length.TotalSeconds) - 0.2, (3 * clip.Length.TotalSeconds) + 0.6);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, program == "ffprobe" ? await output : await errors);
    }
}
