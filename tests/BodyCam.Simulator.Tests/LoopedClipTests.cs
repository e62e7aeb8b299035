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
