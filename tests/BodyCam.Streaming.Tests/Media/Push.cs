using System.Buffers.Binary;
using BodyCam.Streaming.Media;

namespace BodyCam.Streaming.Tests.Media;

/// <summary>What reading a push yielded: its fragments as the viewers would get them, or why it was refused.</summary>
public sealed record PushOutcome(InitSegment? Init, IReadOnlyList<(uint Sequence, bool Keyframe, byte[] Bytes)> Fragments, MediaRejectedException? Refusal);

/// <summary>Feeds bytes to a <see cref="PushReader"/> the way a network would: in pieces of the given sizes.</summary>
public static class Push
{
    /// <summary>How long one input may take before it counts as a hang.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static byte[] Corpus(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Corpus", name));

    public static IEnumerable<string> CorpusFiles() =>
        Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Corpus"), "*.mp4", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(AppContext.BaseDirectory, "Corpus"), f))
            .Order();

    /// <summary>Reads the whole body; any exception but a refusal of the media escapes to fail the test.</summary>
    public static async Task<PushOutcome> ReadAsync(byte[] body, Func<int, int> pieceSize, int maxBoxBytes = 16 * 1024 * 1024)
    {
        var reader = new PieceReader(body, pieceSize);
        var push = new PushReader(reader, maxBoxBytes);
        var fragments = new List<(uint, bool, byte[])>();
        InitSegment? init = null;
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            init = await push.ReadInitAsync(timeout.Token);
            var timeline = new Timeline();
            while (await push.ReadFragmentAsync(init, timeline, timeout.Token) is { } fragment)
            {
                fragments.Add((fragment.SequenceNumber, fragment.StartsWithKeyframe, fragment.Bytes.ToArray()));
                fragment.Release();
            }

            return new PushOutcome(init, fragments, null);
        }
        catch (MediaRejectedException refused)
        {
            return new PushOutcome(init, fragments, refused);
        }
    }

    public static Task<PushOutcome> ReadWholeAsync(byte[] body) => ReadAsync(body, _ => body.Length);

    /// <summary>Runs <see cref="ReadAsync"/> under the time limit: a hang fails the test instead of stalling it.</summary>
    public static async Task<PushOutcome> ReadWithinLimitAsync(byte[] body, Func<int, int> pieceSize)
    {
        var reading = Task.Run(() => ReadAsync(body, pieceSize));
        try
        {
            return await reading.WaitAsync(Limit + TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Reading a push of {body.Length} bytes did not finish in {Limit.TotalSeconds} s: a hang. Input: {Convert.ToBase64String(body)}");
        }
    }
}

/// <summary>Where boxes are in an MP4 body, for tests that change them.</summary>
public static class Boxes
{
    public sealed record Located(string Type, int Start, int Size, int Depth);

    private static readonly HashSet<string> Containers = ["moov", "trak", "mdia", "minf", "stbl", "mvex", "moof", "traf"];

    public static List<Located> All(byte[] body)
    {
        var found = new List<Located>();
        Walk(body, 0, body.Length, 0, found);
        return found;
    }

    private static void Walk(byte[] body, int start, int end, int depth, List<Located> found)
    {
        var at = start;
        while (end - at >= 8)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(body, at + 4, 4);
            if (size < 8 || size > end - at)
            {
                return;
            }

            found.Add(new Located(type, at, size, depth));
            if (Containers.Contains(type))
            {
                Walk(body, at + 8, at + size, depth + 1, found);
            }

            at += size;
        }
    }

    public static Located First(byte[] body, string type) => All(body).First(b => b.Type == type);
}
