using System.Buffers.Binary;
using BodyCam.Streaming.Media;
using Xunit;

namespace BodyCam.Streaming.Tests.Media;

/// <summary>
/// The camera's push read as the relay reads it, from real ffmpeg output (the corpus) and from the
/// hostile inputs found against it (Corpus/rejected): whole, split anywhere, a byte at a time.
/// </summary>
public sealed class PushReaderTests
{
    public static TheoryData<string> Valid() => [.. Push.CorpusFiles().Where(f => !f.Contains('/', StringComparison.Ordinal))];

    public static TheoryData<string> Rejected() => [.. Push.CorpusFiles().Where(f => f.StartsWith("rejected/", StringComparison.Ordinal))];

    [Theory]
    [MemberData(nameof(Valid))]
    public async Task A_cameras_push_reads_into_fragments_that_start_on_a_keyframe_and_are_the_bytes_it_sent(string file)
    {
        var body = Push.Corpus(file);

        var outcome = await Push.ReadWholeAsync(body);

        Assert.Null(outcome.Refusal);
        Assert.True(outcome.Fragments.Count >= 3, $"{outcome.Fragments.Count} fragments");
        Assert.True(outcome.Fragments[0].Keyframe);
        Assert.Equal(outcome.Fragments.Select(f => f.Sequence), outcome.Fragments.Select((_, i) => (uint)(i + 1)));
        AssertSlicesOf(body, outcome);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public async Task Each_fragment_is_also_one_whole_websocket_binary_message_carrying_its_bytes(string file)
    {
        var body = Push.Corpus(file);
        var push = new PushReader(new PieceReader(body, _ => body.Length), 16 * 1024 * 1024);
        var init = await push.ReadInitAsync(CancellationToken.None);
        var timeline = new Timeline();
        var count = 0;

        while (await push.ReadFragmentAsync(init, timeline, CancellationToken.None) is { } fragment)
        {
            var message = fragment.Message.ToArray();
            Assert.Equal(0x82, message[0]);   // FIN, binary
            var (length, header) = message[1] switch
            {
                126 => (BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(2)), 4),
                127 => ((int)BinaryPrimitives.ReadUInt64BigEndian(message.AsSpan(2)), 10),
                var small => (small, 2),
            };
            Assert.Equal(fragment.Length, length);
            Assert.True(message.AsSpan(header).SequenceEqual(fragment.Bytes.Span));
            fragment.Release();
            count++;
        }

        Assert.True(count >= 3, $"{count} fragments");
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public async Task A_push_split_in_two_at_any_byte_reads_the_same_fragments(string file)
    {
        var body = Push.Corpus(file);
        var whole = await Push.ReadWholeAsync(body);

        for (var split = 1; split < body.Length; split += 7)
        {
            var at = split;
            var outcome = await Push.ReadAsync(body, piece => piece == 0 ? at : body.Length);
            Assert.Null(outcome.Refusal);
            AssertSameFragments(whole, outcome);
        }
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public async Task A_push_delivered_a_byte_at_a_time_reads_the_same_fragments(string file)
    {
        var body = Push.Corpus(file);
        var whole = await Push.ReadWholeAsync(body);

        var outcome = await Push.ReadWithinLimitAsync(body, _ => 1);

        Assert.Null(outcome.Refusal);
        AssertSameFragments(whole, outcome);
    }

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task Every_hostile_input_found_so_far_is_refused_whole_and_a_byte_at_a_time(string file)
    {
        var body = Push.Corpus(file);

        foreach (var piece in new Func<int, int>[] { _ => body.Length, _ => 1, p => 1 + (p * 37 % 500) })
        {
            var outcome = await Push.ReadWithinLimitAsync(body, piece);
            Assert.NotNull(outcome.Refusal);
        }
    }

    [Fact]
    public async Task A_trun_claiming_four_billion_samples_of_no_size_is_refused_at_once()
    {
        var body = Hostile.TrunClaimingSamples(Push.Corpus("camera-av.mp4"), uint.MaxValue);

        var outcome = await Push.ReadWithinLimitAsync(body, _ => body.Length);

        Assert.Equal(MediaProblem.BadBox, outcome.Refusal?.Problem);
        Assert.Contains("samples", outcome.Refusal!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_box_of_size_zero_or_smaller_than_its_header_is_refused()
    {
        var clip = Push.Corpus("camera-av.mp4");
        foreach (var size in new uint[] { 0, 4, 7 })
        {
            var body = clip.ToArray();
            BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(Boxes.First(body, "moof").Start), size);

            var outcome = await Push.ReadWithinLimitAsync(body, _ => 1000);

            Assert.Equal(MediaProblem.BadBox, outcome.Refusal?.Problem);
        }
    }

    [Fact]
    public async Task A_sixty_four_bit_box_size_beyond_any_fragment_is_refused_before_it_is_buffered()
    {
        var clip = Push.Corpus("camera-av.mp4");
        var moof = Boxes.First(clip, "moof");
        // The same moof, announced with a 64-bit size of 2^62 bytes.
        var body = clip[..moof.Start].Concat(new byte[] { 0, 0, 0, 1 }).Concat("moof"u8.ToArray())
            .Concat(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(1UL << 62))).Concat(clip[(moof.Start + 8)..]).ToArray();

        var outcome = await Push.ReadWithinLimitAsync(body, _ => body.Length);

        Assert.Equal(MediaProblem.BoxTooLarge, outcome.Refusal?.Problem);
    }

    [Fact]
    public async Task An_init_segment_preceded_by_endless_boxes_is_refused()
    {
        var clip = Push.Corpus("camera-av.mp4");
        var ftyp = Boxes.First(clip, "ftyp");
        var free = new byte[] { 0, 0, 0, 8, (byte)'f', (byte)'r', (byte)'e', (byte)'e' };
        var body = clip[..ftyp.Size].Concat(Enumerable.Repeat(free, 100).SelectMany(b => b)).Concat(clip[ftyp.Size..]).ToArray();

        var outcome = await Push.ReadWithinLimitAsync(body, _ => 64);

        Assert.Equal(MediaProblem.BadOrder, outcome.Refusal?.Problem);
    }

    [Fact]
    public async Task A_fragment_claiming_hours_of_media_is_refused()
    {
        var clip = Push.Corpus("camera-av.mp4");
        var body = clip.ToArray();
        // Every sample of the first video run claims the longest duration there is.
        var trun = Boxes.All(body).First(b => b.Type == "trun");
        var flags = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(trun.Start + 8)) & 0xFFFFFF;
        Assert.True((flags & 0x100) != 0, "ffmpeg writes a duration per sample");
        var count = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(trun.Start + 12));
        var at = trun.Start + 16 + ((flags & 0x01) != 0 ? 4 : 0) + ((flags & 0x04) != 0 ? 4 : 0);
        var perSample = 4 * (int)System.Numerics.BitOperations.PopCount(flags & 0xF00);
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(at + (i * perSample)), uint.MaxValue);
        }

        var outcome = await Push.ReadWithinLimitAsync(body, _ => body.Length);

        Assert.Equal(MediaProblem.BadBox, outcome.Refusal?.Problem);
    }

    internal static void AssertSameFragments(PushOutcome expected, PushOutcome actual)
    {
        Assert.Equal(expected.Fragments.Count, actual.Fragments.Count);
        for (var i = 0; i < expected.Fragments.Count; i++)
        {
            Assert.Equal(expected.Fragments[i].Sequence, actual.Fragments[i].Sequence);
            Assert.True(expected.Fragments[i].Bytes.AsSpan().SequenceEqual(actual.Fragments[i].Bytes), $"fragment {i} differs");
        }
    }

    /// <summary>Each fragment is a run of the pushed bytes, in order: the relay hands on what the camera sent, unchanged.</summary>
    internal static void AssertSlicesOf(byte[] body, PushOutcome outcome)
    {
        var from = 0;
        foreach (var (sequence, _, bytes) in outcome.Fragments)
        {
            var at = body.AsSpan(from).IndexOf(bytes);
            Assert.True(at >= 0, $"fragment {sequence} is not a run of the pushed bytes");
            from += at + bytes.Length;
        }
    }
}

/// <summary>Hostile inputs made from a real push.</summary>
public static class Hostile
{
    /// <summary>The first trun made to claim <paramref name="count"/> samples with no per-sample fields.</summary>
    public static byte[] TrunClaimingSamples(byte[] clip, uint count)
    {
        var body = clip.ToArray();
        var trun = Boxes.All(body).First(b => b.Type == "trun");
        // Version 0, flags: data offset only; then the sample count.
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(trun.Start + 8), 0x000001);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(trun.Start + 12), count);
        return body;
    }
}
