using System.Collections.Concurrent;
using System.Security.Cryptography;
using BodyCam.Audit.Tree;
using CsCheck;
using Xunit;

namespace BodyCam.Audit.Tests;

/// <summary>
/// The tree as the log stores it (full tiles the writer's frontier hands out, partial tiles computed
/// from what is below) gives the same roots and proofs as the tree computed from its leaves.
/// </summary>
public sealed class TilesTests
{
    private const int Size = 70_000;
    private static readonly byte[][] Leaves = Enumerable.Range(0, Size).Select(i => Merkle.Leaf(BitConverter.GetBytes(i))).ToArray();
    private static readonly Lazy<TiledTree> Tiled = new(() => new TiledTree(Leaves));

    [Theory]
    [InlineData(0L, "000")]
    [InlineData(67L, "067")]
    [InlineData(1000L, "x001/000")]
    [InlineData(1234067L, "x001/x234/067")]
    public void Tile_indexes_are_written_as_tlog_tiles_names_them(long index, string path)
    {
        Assert.Equal(path, Tiles.IndexPath(index));
        Assert.True(Tiles.TryParse(path, out var parsed, out var width));
        Assert.Equal((index, Tiles.Width), (parsed, width));
        Assert.True(Tiles.TryParse(path + ".p/17", out parsed, out width));
        Assert.Equal((index, 17), (parsed, width));
    }

    [Theory]
    [InlineData("")]
    [InlineData("67")]
    [InlineData("x067")]
    [InlineData("001/067")]
    [InlineData("x000/067")]
    [InlineData("067.p/0")]
    [InlineData("067.p/256")]
    [InlineData("067.p/017")]
    [InlineData("067.p/")]
    [InlineData("../067")]
    [InlineData("x999/x999/x999/x999/x999/x999/x999/999")]
    public void Anything_else_is_not_a_tile(string path) => Assert.False(Tiles.TryParse(path, out _, out _));

    [Fact]
    public void A_tree_of_70000_has_the_tiles_the_specification_names()
    {
        // tlog-tiles: 273 full level 0 tiles, a partial one of 112, one full level 1 tile, a partial of 17, a partial level 2 tile of 1.
        var tree = Tiled.Value;
        Assert.Equal(273, tree.Full.Keys.Count(k => k.Level == 0));
        Assert.Equal(1, tree.Full.Keys.Count(k => k.Level == 1));
        Assert.DoesNotContain(tree.Full.Keys, k => k.Level > 1);
        Assert.Equal(112, Tiles.WidthAt(0, 273, Size));
        Assert.Equal(17, Tiles.WidthAt(1, 1, Size));
        Assert.Equal(1, Tiles.WidthAt(2, 0, Size));
        Assert.Equal(Tiles.Width, Tiles.WidthAt(0, 272, Size));
        Assert.Equal(0, Tiles.WidthAt(0, 274, Size));
    }

    [Theory]
    [InlineData(0, 493_527L, 1927L)]
    [InlineData(1, 493_527L, 7L)]
    [InlineData(2, 493_527L, 0L)]
    [InlineData(7, 493_527L, 0L)]
    [InlineData(7, long.MaxValue, 0L)]
    [InlineData(6, long.MaxValue, 127L)]
    public void Full_tiles_per_level_never_wrap_around_the_shift(int level, long size, long full) => Assert.Equal(full, Tiles.FullTiles(level, size));

    [Fact]
    public void The_size_holding_a_tile_is_the_smallest_tree_that_has_that_many_hashes_in_it()
    {
        Gen.Select(Gen.Int[0, 3], Gen.Long[0, 5_000], Gen.Int[1, Tiles.Width]).Sample((level, index, width) =>
        {
            var size = Tiles.SizeHolding(level, index, width);
            Assert.True(Tiles.WidthAt(level, index, size) >= width, $"tree of {size} holds {width} hashes in tile {level}/{index}");
            Assert.True(Tiles.WidthAt(level, index, size - 1) < width, $"tree of {size - 1} is already big enough for tile {level}/{index}");
        });

        // Past what a tree's size can be (an index a caller made up): never a wrapped, small size.
        Assert.Equal(long.MaxValue, Tiles.SizeHolding(7, long.MaxValue / 256, Tiles.Width));
        Assert.Equal(long.MaxValue, Tiles.SizeHolding(3, 1L << 40, 1));
    }

    [Fact]
    public void Roots_from_tiles_are_the_roots_of_the_leaves()
    {
        var reference = new LeafTree(Leaves);
        foreach (var size in new long[] { 1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 69_999, Size })
        {
            Assert.Equal(Merkle.Root(size, reference.Node), Merkle.Root(size, Tiled.Value.NodeAt(size)));
        }
    }

    [Fact]
    public void Proofs_from_tiles_are_the_proofs_from_the_leaves_and_verify()
    {
        var reference = new LeafTree(Leaves);
        Gen.Select(Gen.Long[1, Size], Gen.Double[0, 1]).Sample((size, fraction) =>
        {
            var index = Math.Min(size - 1, (long)(fraction * size));
            var node = Tiled.Value.NodeAt(size);
            var proof = Merkle.InclusionProof(index, size, node);
            Assert.Equal(Merkle.InclusionProof(index, size, reference.Node).Select(Convert.ToHexString), proof.Select(Convert.ToHexString));
            Assert.True(Merkle.VerifyInclusion(index, size, Leaves[index], proof, Merkle.Root(size, reference.Node)));

            var first = index + 1;
            var consistency = Merkle.ConsistencyProof(first, size, node);
            Assert.True(Merkle.VerifyConsistency(first, size, Merkle.Root(first, reference.Node), Merkle.Root(size, reference.Node), consistency));
        }, iter: 200);
    }

    [Fact]
    public void The_frontier_seeded_from_storage_carries_on_as_if_it_had_never_stopped()
    {
        // The writer restarts at 65,600 leaves: its frontier is rebuilt from the tiles below, then the rest is appended.
        var stop = 65_600;
        var restarted = new TreeFrontier();
        var whole = Tiled.Value;
        for (var level = 0; level < TreeFrontier.Levels; level++)
        {
            var full = Tiles.FullTiles(level, stop);
            var width = Tiles.WidthAt(level, full, stop);
            if (width > 0)
            {
                restarted.Seed(level, full, whole.Lower(level, full, width));
            }
        }

        restarted.Size = stop;
        var later = new List<FullTile>();
        for (var i = stop; i < Size; i++)
        {
            later.AddRange(restarted.Append(Leaves[i]));
        }

        Assert.NotEmpty(later);
        Assert.All(later, t => Assert.Equal(whole.Full[(t.Level, t.Index)], t.Hashes));
    }

    /// <summary>Full tiles from the frontier, partial ones computed as the log computes them.</summary>
    private sealed class TiledTree
    {
        private readonly byte[][] _leaves;

        public TiledTree(byte[][] leaves)
        {
            _leaves = leaves;
            var frontier = new TreeFrontier();
            foreach (var leaf in leaves)
            {
                foreach (var tile in frontier.Append(leaf))
                {
                    Full[(tile.Level, tile.Index)] = tile.Hashes;
                }
            }
        }

        public Dictionary<(int Level, long Index), byte[]> Full { get; } = [];

        // CsCheck samples on several threads at once: the caches are shared between them.
        private readonly ConcurrentDictionary<(int, long, int), byte[]> _lower = [];

        public byte[] Lower(int level, long index, int width) => _lower.GetOrAdd((level, index, width), k => Compute(k.Item1, k.Item2, k.Item3));

        private byte[] Compute(int level, long index, int width) => level == 0
            ? _leaves.Skip((int)(index * Tiles.Width)).Take(width).SelectMany(l => l).ToArray()
            : Enumerable.Range(0, width).SelectMany(i => Tiles.PerfectRoot(Full[(level - 1, index * Tiles.Width + i)])).ToArray();

        public Merkle.NodeHash NodeAt(long size) => (level, index) =>
        {
            var (tileLevel, tileIndex) = Tiles.TileOf(level, index);
            var width = Tiles.WidthAt(tileLevel, tileIndex, size);
            var tile = width == Tiles.Width ? Full[(tileLevel, tileIndex)] : Lower(tileLevel, tileIndex, width);
            return Tiles.NodeFrom(tile, level, index) ?? throw new InvalidOperationException($"Node {level}/{index} is not in a tree of {size}.");
        };
    }

    /// <summary>Subtree hashes straight from the leaves, remembered.</summary>
    private sealed class LeafTree(byte[][] leaves)
    {
        private readonly ConcurrentDictionary<(int, long), byte[]> _nodes = [];

        public byte[] Node(int level, long index)
        {
            if (level == 0)
            {
                return leaves[index];
            }

            if (!_nodes.TryGetValue((level, index), out var hash))
            {
                hash = _nodes.GetOrAdd((level, index), Merkle.Node(Node(level - 1, 2 * index), Node(level - 1, 2 * index + 1)));
            }

            return hash;
        }
    }
}

public sealed class CompactRangeTests
{
    [Fact]
    public void The_root_as_leaves_come_is_the_root_of_the_tree_at_every_size_and_from_any_start()
    {
        var leaves = Enumerable.Range(0, 600).Select(i => Merkle.Leaf(BitConverter.GetBytes(i))).ToArray();
        byte[] Node(int level, long index) => level == 0 ? leaves[index] : Merkle.Node(Node(level - 1, 2 * index), Node(level - 1, 2 * index + 1));
        Merkle.NodeHash node = Node;
        foreach (var start in new[] { 0, 1, 5, 255, 256, 300 })
        {
            var range = CompactRange.Of(start, [.. CompactRange.Subtrees(start).Select(s => node(s.Level, s.Index))]);
            for (var n = start; n < leaves.Length; n++)
            {
                range.Append(leaves[n]);
                Assert.Equal(Convert.ToHexString(Merkle.Root(n + 1, node)), Convert.ToHexString(range.Root()));
            }
        }
    }
}

public sealed class SignedNoteTests
{
    [Fact]
    public void A_note_signed_and_cosigned_verifies_with_its_keys_and_not_with_others_or_once_changed()
    {
        using var log = NoteSigner.Load(null, "example.com/log");
        using var witness = NoteSigner.Load(null, "example.com/witness");
        using var stranger = NoteSigner.Load(null, "example.com/log");
        var body = SignedNote.CheckpointBody("example.com/log", 70_000, new byte[32]);
        var note = body + "\n" + SignedNote.Sign(body, log.Name, log.Key) + SignedNote.Cosign(body, witness.Name, witness.Key, DateTimeOffset.UnixEpoch.AddDays(20_000));

        // Keys round-trip as verifier keys, whatever characters their base64 holds.
        for (var i = 0; i < 50; i++)
        {
            using var any = NoteSigner.Load(null, "example.com/k");
            Assert.True(SignedNote.TryParseVerifierKey(SignedNote.VerifierKey(any.Name, SignedNote.Ed25519Type, any.PublicKey), out var parsed));
            Assert.Equal(any.PublicKey, parsed.PublicKey);
        }

        Assert.True(SignedNote.TryParseVerifierKey(SignedNote.VerifierKey(log.Name, SignedNote.Ed25519Type, log.PublicKey), out var logKey));
        Assert.True(SignedNote.TryParse(note, out var parsedBody, out var signatures));
        Assert.Equal(body, parsedBody);
        Assert.True(SignedNote.TryReadCheckpoint(parsedBody, out var origin, out var size, out _));
        Assert.Equal(("example.com/log", 70_000L), (origin, size));
        Assert.True(SignedNote.Verifies(body, signatures[0], logKey));
        Assert.True(SignedNote.Verifies(body, signatures[1], witness.Verifier(SignedNote.CosignatureType)));
        Assert.False(SignedNote.Verifies(body, signatures[0], stranger.Verifier(SignedNote.Ed25519Type)));
        Assert.False(SignedNote.Verifies(body, signatures[1], witness.Verifier(SignedNote.Ed25519Type)));
        var changed = body.Replace("70000", "70001", StringComparison.Ordinal);
        Assert.False(SignedNote.Verifies(changed, signatures[0], logKey));
        Assert.False(SignedNote.Verifies(changed, signatures[1], witness.Verifier(SignedNote.CosignatureType)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\n1\nAAAA\n")]
    [InlineData("a\n1\nAAAA\n\n")]
    [InlineData("a\n1\nAAAA\n\nnot a signature\n")]
    [InlineData("a\n1\nAAAA\n\n\u2014 name !!!\n")]
    [InlineData("a\u0007\n1\nAAAA\n\n\u2014 name AAAAAAAA\n")]
    public void Anything_else_is_not_a_signed_note(string text) => Assert.False(SignedNote.TryParse(text, out _, out _));

    [Theory]
    [InlineData("a\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("a\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("a\n1\nAAAA\n")]
    [InlineData("a\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nextension\n")]
    [InlineData("\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    public void A_checkpoint_body_is_exactly_origin_size_and_root(string body) => Assert.False(SignedNote.TryReadCheckpoint(body, out _, out _, out _));
}
