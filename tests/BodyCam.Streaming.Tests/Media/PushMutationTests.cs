using System.Buffers.Binary;
using CsCheck;
using Xunit;

namespace BodyCam.Streaming.Tests.Media;

/// <summary>
/// Real camera pushes, mutated where a hostile camera would aim (box sizes, counts, flags, 64-bit
/// sizes, truncations, random bytes) and delivered in pieces of every size: each ends in fragments or
/// a refusal of the media, within the time limit, and never in any other exception.
/// </summary>
public sealed class PushMutationTests
{
    private enum Kind { Byte, BoxSize, BoxSize64, Field, Truncate }

    private sealed record Mutation(Kind Kind, int Where, uint Value);

    private static readonly string[] Files = [.. Push.CorpusFiles().Where(f => !f.Contains('/', StringComparison.Ordinal))];

    private static readonly uint[] Edges = [0, 1, 7, 8, 9, 16, 0x7FFFFFFF, 0x80000000, uint.MaxValue, 0x00FFFFFF, 0x01000000];

    private static readonly Gen<uint> Values = Gen.OneOf(
        Gen.Int[0, Edges.Length - 1].Select(i => Edges[i]),
        Gen.UInt[0, 4096],
        Gen.UInt);

    private static readonly Gen<Mutation> Mutations = Gen.Select(Gen.Enum<Kind>(), Gen.Int[0, int.MaxValue], Values, (k, w, v) => new Mutation(k, w, v));

    private static readonly Gen<(int File, Mutation[] Mutations, int Piece)> Inputs =
        Gen.Select(Gen.Int[0, Files.Length - 1], Mutations.Array[1, 4], Gen.OneOf(Gen.Int[1, 16], Gen.Int[1, 4096], Gen.Const(1 << 20)));

    [Fact]
    public void Mutated_pushes_end_in_fragments_or_a_refusal_never_a_crash_or_a_hang()
    {
        var corpus = Files.Select(Push.Corpus).ToArray();
        Inputs.Sample(input =>
        {
            var body = Apply(corpus[input.File], input.Mutations);
            var outcome = Push.ReadWithinLimitAsync(body, _ => input.Piece).GetAwaiter().GetResult();
            if (outcome.Refusal is null)
            {
                PushReaderTests.AssertSlicesOf(body, outcome);
            }
        }, iter: 3000, threads: 1);
    }

    private static byte[] Apply(byte[] clip, Mutation[] mutations)
    {
        var body = clip.ToArray();
        foreach (var m in mutations)
        {
            var boxes = Boxes.All(body);
            var box = boxes.Count > 0 ? boxes[m.Where % boxes.Count] : null;
            switch (m.Kind)
            {
                case Kind.Byte when body.Length > 0:
                    body[m.Where % body.Length] = (byte)m.Value;
                    break;
                case Kind.BoxSize when box is not null:
                    BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(box.Start), m.Value);
                    break;
                case Kind.BoxSize64 when box is not null && box.Size >= 16:
                    // size 1: the real size follows as 64 bits, over the first 8 bytes of the payload.
                    BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(box.Start), 1);
                    BinaryPrimitives.WriteUInt64BigEndian(body.AsSpan(box.Start + 8), ((ulong)m.Value << (m.Where % 33)) + (ulong)box.Size);
                    break;
                case Kind.Field when box is not null && box.Size >= 16:
                    // A version/flags word, a count, a track id, an offset: the first fields of every full box.
                    var offset = 8 + (4 * (m.Where % Math.Min(6, (box.Size - 8) / 4)));
                    BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(box.Start + offset), m.Value);
                    break;
                case Kind.Truncate when body.Length > 0:
                    // (an earlier truncation may have left nothing: there is nothing more to cut)
                    body = body[..(m.Where % body.Length)];
                    break;
            }
        }

        return body;
    }
}
