using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace BodyCam.Streaming.Tests.Media;

/// <summary>
/// Coverage-guided fuzzing of the media reader for a bounded time: afl-fuzz (AFL++, Debian's package)
/// drives the fuzz target in tests/BodyCam.Streaming.Fuzz on a copy of BodyCam.Streaming.dll that
/// SharpFuzz has instrumented, starting from the corpus of real ffmpeg output. Any crash (an exception
/// other than a refusal of the media) or hang it finds fails the test, with the input that did it, to
/// be kept in Corpus/rejected. './bodycam test' installs afl-fuzz and the sharpfuzz tool.
/// </summary>
public sealed class CoverageGuidedFuzzingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("BODYCAM_FUZZ_SECONDS"), out var s) ? s : 45);

    [Fact]
    public async Task Coverage_guided_fuzzing_of_the_media_reader_finds_no_crash_and_no_hang()
    {
        var afl = Which("afl-fuzz") ?? throw new InvalidOperationException("afl-fuzz is not installed: apt-get install afl++ (./bodycam test does).");
        var sharpfuzz = Which("sharpfuzz") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "sharpfuzz");
        Assert.True(File.Exists(sharpfuzz), "The sharpfuzz tool is not installed: dotnet tool install --global SharpFuzz.CommandLine (./bodycam test does).");

        var work = Directory.CreateTempSubdirectory("bodycam-fuzz-");
        try
        {
            var target = Path.Combine(work.FullName, "target");
            CopyDirectory(HarnessDirectory(), target);
            var (instrumented, instrumentLog) = await RunAsync(sharpfuzz, [Path.Combine(target, "BodyCam.Streaming.dll")], TimeSpan.FromMinutes(2));
            Assert.True(instrumented == 0, $"sharpfuzz could not instrument the media reader: {instrumentLog}");

            var inputs = Directory.CreateDirectory(Path.Combine(work.FullName, "inputs"));
            foreach (var file in Push.CorpusFiles())
            {
                // The first byte chooses how the body arrives: whole (0) or in pieces of that many bytes.
                var body = Push.Corpus(file);
                await File.WriteAllBytesAsync(Path.Combine(inputs.FullName, $"{Path.GetFileNameWithoutExtension(file)}-whole"), [0, .. body]);
                await File.WriteAllBytesAsync(Path.Combine(inputs.FullName, $"{Path.GetFileNameWithoutExtension(file)}-pieces"), [7, .. body]);
            }

            var findings = Path.Combine(work.FullName, "findings");
            var (_, log) = await RunAsync(afl,
                ["-i", inputs.FullName, "-o", findings, "-t", "5000", "-m", "none", "-V", ((int)Budget.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                 "--", "dotnet", Path.Combine(target, "BodyCam.Streaming.Fuzz.dll")],
                Budget + TimeSpan.FromMinutes(2),
                new Dictionary<string, string>
                {
                    ["AFL_SKIP_BIN_CHECK"] = "1", ["AFL_NO_UI"] = "1", ["AFL_SKIP_CPUFREQ"] = "1", ["AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES"] = "1",
                    ["AFL_NO_AFFINITY"] = "1", ["AFL_FORKSRV_INIT_TMOUT"] = "60000",
                });

            var stats = Path.Combine(findings, "default", "fuzzer_stats");
            Assert.True(File.Exists(stats), $"afl-fuzz did not run: {log}");
            var statsText = await File.ReadAllTextAsync(stats);
            output.WriteLine(statsText);
            Assert.True(Stat(statsText, "execs_done") > 0, $"afl-fuzz executed nothing: {statsText}\n{log}");
            var found = new[] { "crashes", "hangs" }
                .Select(kind => Path.Combine(findings, "default", kind))
                .Where(Directory.Exists)
                .SelectMany(Directory.EnumerateFiles)
                .Where(f => !f.EndsWith("README.txt", StringComparison.Ordinal))
                .ToList();
            Assert.True(found.Count == 0, "afl-fuzz found inputs that crash or hang the media reader (keep them in Corpus/rejected, without their first byte):\n"
                + string.Join('\n', found.Select(f => $"{Path.GetFileName(Path.GetDirectoryName(f))}/{Path.GetFileName(f)}: {Convert.ToBase64String(File.ReadAllBytes(f))}")));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static long Stat(string stats, string name) =>
        stats.Split('\n').Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim() == name)
            .Select(p => long.TryParse(p[1].Trim(), out var v) ? v : 0).FirstOrDefault();

    private static string HarnessDirectory()
    {
        var here = AppContext.BaseDirectory;
        var root = here[..here.IndexOf($"{Path.DirectorySeparatorChar}tests{Path.DirectorySeparatorChar}", StringComparison.Ordinal)];
        var configuration = new DirectoryInfo(here).Parent!.Name;
        var harness = Path.Combine(root, "tests", "BodyCam.Streaming.Fuzz", "bin", configuration, "net10.0");
        Assert.True(File.Exists(Path.Combine(harness, "BodyCam.Streaming.Fuzz.dll")), $"The fuzz target is not built at {harness}.");
        return harness;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] arguments, TimeSpan limit, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        var text = await stdout + await stderr;
        return (process.HasExited ? process.ExitCode : -1, text.Length > 4000 ? text[^4000..] : text);
    }
}
