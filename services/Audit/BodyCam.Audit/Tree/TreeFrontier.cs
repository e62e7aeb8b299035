namespace BodyCam.Audit.Tree;

/// <summary>
/// The chain writer's view of the tree's right edge: the hashes of each level's partial tile.
/// Appending a leaf may fill tiles; each full tile is handed back to be stored, and its root goes
/// into the tile above. Pure and in memory: the writer rebuilds it from storage when in doubt.
/// </summary>
public sealed class TreeFrontier
{
    /// <summary>Levels of tiles a tree of up to 2^63 leaves can need (256^8 = 2^64).</summary>
    public const int Levels = 8;

    private readonly List<byte[]>[] _partial = Enumerable.Range(0, Levels).Select(_ => new List<byte[]>(Tiles.Width)).ToArray();

    /// <summary>Leaves in the tree.</summary>
    public long Size { get; set; }

    /// <summary>Sets level <paramref name="level"/>'s partial tile (index <paramref name="index"/>) from its hashes, concatenated.</summary>
    public void Seed(int level, long index, byte[] hashes)
    {
        _partial[level].Clear();
        for (var i = 0; i < hashes.Length; i += Merkle.HashSize)
        {
            _partial[level].Add(hashes[i..(i + Merkle.HashSize)]);
        }
    }

    /// <summary>Adds the next leaf; returns the tiles it filled (none most of the time), lowest level first.</summary>
    public IReadOnlyList<FullTile> Append(byte[] leaf)
    {
        if (leaf.Length != Merkle.HashSize)
        {
            throw new ArgumentException("A leaf hash is 32 bytes.", nameof(leaf));
        }

        Size++;
        _partial[0].Add(leaf);
        List<FullTile>? filled = null;
        for (var level = 0; level < Levels && _partial[level].Count == Tiles.Width; level++)
        {
            var hashes = new byte[Tiles.Width * Merkle.HashSize];
            for (var i = 0; i < Tiles.Width; i++)
            {
                _partial[level][i].CopyTo(hashes, i * Merkle.HashSize);
            }

            var index = Tiles.FullTiles(level, Size) - 1;
            (filled ??= []).Add(new FullTile(level, index, hashes));
            _partial[level].Clear();
            if (level + 1 < Levels)
            {
                _partial[level + 1].Add(Tiles.PerfectRoot(hashes));
            }
        }

        return filled ?? (IReadOnlyList<FullTile>)[];
    }
}

/// <summary>A full tile: 256 hashes at one level, never to change.</summary>
public sealed record FullTile(int Level, long Index, byte[] Hashes);
