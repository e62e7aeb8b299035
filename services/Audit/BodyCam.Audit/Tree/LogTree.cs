using System.Collections.Concurrent;
using BodyCam.Audit.Chain;
using Marten;

namespace BodyCam.Audit.Tree;

/// <summary>
/// Reads the tree: its size, root, tiles and proofs at any size it has reached. Every hash comes
/// from the stored full tiles, or for the tail from the entries themselves, never from a stored
/// head: a root or proof is recomputed each time from what the record holds. Full tiles never
/// change, so they (and their roots) are kept in memory once read.
/// </summary>
public sealed class LogTree(IDocumentStore store, TreeTiles tiles)
{
    private const int CachedTiles = 4096;  // 32 MiB of leaf hashes
    private const int CachedUpperTiles = 4096;  // tiles above the leaves: one per 65,536 entries, so all of them up to 268 M entries
    private static readonly byte[] Placeholder = new byte[Merkle.HashSize];

    private readonly ConcurrentDictionary<(int Level, long Index), byte[]> _full = new();
    private readonly ConcurrentDictionary<(int Level, long Index), byte[]> _upper = new();
    private long _known;

    /// <summary>The tree's size: how many entries the chain holds, as the database has it now.</summary>
    public async Task<long> SizeAsync(CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var state = await session.Events.FetchStreamStateAsync(AuditChain.StreamKey, cancellationToken);
        var size = state?.Version ?? 0;
        InterlockedMax(ref _known, size);
        return size;
    }

    /// <summary>
    /// A size the tree has reached that is at least <paramref name="needed"/>, without asking the
    /// database when one seen before already is (the log only grows); otherwise the size now, which
    /// may be smaller. A request inside a tree already seen then costs no query for the size.
    /// </summary>
    public async Task<long> SizeAtLeastAsync(long needed, CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _known);
        return known >= needed ? known : await SizeAsync(cancellationToken);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    /// <summary>Tile (<paramref name="level"/>, <paramref name="index"/>) as it is in the tree of <paramref name="size"/> leaves: null when that tree has no hashes there.</summary>
    public async Task<byte[]?> TileAsync(int level, long index, long size, CancellationToken cancellationToken)
    {
        var width = Tiles.WidthAt(level, index, size);
        if (width == 0)
        {
            return null;
        }

        if (width < Tiles.Width)
        {
            return await tiles.LowerHashesAsync(level, index, width, cancellationToken);
        }

        // Level-0 tiles are kept apart from the rest: a random leaf's proof reads one (a scan of them
        // empties that cache often), while the few tiles above serve nearly every proof.
        var kept = level == 0 ? _full : _upper;
        if (kept.TryGetValue((level, index), out var cached))
        {
            return cached;
        }

        var read = await tiles.ReadAsync(level, index, index, cancellationToken);
        var tile = read.GetValueOrDefault(index) ?? throw new TreeBrokenException($"Tile {level}/{index} is missing from the tree.");
        if (tile.Length != Tiles.Width * Merkle.HashSize)
        {
            throw new TreeBrokenException($"Tile {level}/{index} is {tile.Length} bytes, not a full tile.");
        }

        if (kept.Count >= (level == 0 ? CachedTiles : CachedUpperTiles))
        {
            kept.Clear();
        }

        kept[(level, index)] = tile;
        return tile;
    }

    /// <summary>The hash of the perfect subtree at Merkle <paramref name="level"/>, <paramref name="index"/>, in the tree of <paramref name="size"/> leaves that holds it.</summary>
    public Task<byte[]> NodeAsync(int level, long index, long size, CancellationToken cancellationToken) =>
        WithNodesAsync(size, node => node(level, index), cancellationToken);

    /// <summary>MTH of the tree of the first <paramref name="size"/> entries.</summary>
    public Task<byte[]> RootAsync(long size, CancellationToken cancellationToken) =>
        WithNodesAsync(size, node => Merkle.Root(size, node), cancellationToken);

    /// <summary>The inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> (RFC 9162 §2.1.3.1).</summary>
    public Task<List<byte[]>> InclusionProofAsync(long index, long size, CancellationToken cancellationToken) =>
        WithNodesAsync(size, node => Merkle.InclusionProof(index, size, node), cancellationToken);

    /// <summary>The consistency proof from the tree of <paramref name="first"/> to that of <paramref name="second"/> (RFC 9162 §2.1.4.1).</summary>
    public Task<List<byte[]>> ConsistencyProofAsync(long first, long second, CancellationToken cancellationToken) =>
        WithNodesAsync(second, node => Merkle.ConsistencyProof(first, second, node), cancellationToken);

    /// <summary>
    /// Runs <paramref name="compute"/> twice: once to learn which subtree hashes it asks for (the
    /// shape of a proof depends on sizes only), then, with the tiles holding them read, for real.
    /// </summary>
    private async Task<T> WithNodesAsync<T>(long size, Func<Merkle.NodeHash, T> compute, CancellationToken cancellationToken)
    {
        var wanted = new HashSet<(int Level, long Index)>();
        compute((level, index) =>
        {
            wanted.Add(Tiles.TileOf(level, index));
            return Placeholder;
        });

        var read = new Dictionary<(int Level, long Index), byte[]>();
        foreach (var tile in wanted)
        {
            read[tile] = await TileAsync(tile.Level, tile.Index, size, cancellationToken)
                ?? throw new TreeBrokenException($"Tile {tile.Level}/{tile.Index} is not in a tree of {size}.");
        }

        return compute((level, index) => Tiles.NodeFrom(read[Tiles.TileOf(level, index)], level, index)
            ?? throw new TreeBrokenException($"Node {level}/{index} is past the tile that should hold it."));
    }
}
