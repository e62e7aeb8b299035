using System.Numerics;

namespace BodyCam.Audit.Tree;

/// <summary>
/// The tree's root as leaves are appended one by one, without storing them: the hashes of the
/// perfect subtrees that make up the tree so far (one per bit of its size, largest first). What
/// verification uses to recompute every checkpoint's root in one pass over the entries.
/// </summary>
public sealed class CompactRange
{
    private readonly List<(int Height, byte[] Hash)> _subtrees = [];

    public long Size { get; private set; }

    /// <summary>Starts from a tree of <paramref name="size"/> leaves, given its perfect subtrees' hashes (<see cref="Subtrees"/> says which).</summary>
    public static CompactRange Of(long size, IReadOnlyList<byte[]> hashes)
    {
        var range = new CompactRange { Size = size };
        var subtrees = Subtrees(size);
        if (hashes.Count != subtrees.Count)
        {
            throw new ArgumentException($"A tree of {size} has {subtrees.Count} perfect subtrees, not {hashes.Count}.", nameof(hashes));
        }

        for (var i = 0; i < subtrees.Count; i++)
        {
            range._subtrees.Add((subtrees[i].Level, hashes[i]));
        }

        return range;
    }

    /// <summary>The perfect subtrees a tree of <paramref name="size"/> leaves is made of, largest first, as (Merkle level, index).</summary>
    public static List<(int Level, long Index)> Subtrees(long size)
    {
        var subtrees = new List<(int, long)>();
        long start = 0;
        for (var level = 63 - BitOperations.LeadingZeroCount((ulong)Math.Max(size, 1)); level >= 0 && size > 0; level--)
        {
            if ((size & (1L << level)) != 0)
            {
                subtrees.Add((level, start >> level));
                start += 1L << level;
            }
        }

        return subtrees;
    }

    public void Append(byte[] leaf)
    {
        var (height, hash) = (0, leaf);
        while (_subtrees.Count > 0 && _subtrees[^1].Height == height)
        {
            hash = Merkle.Node(_subtrees[^1].Hash, hash);
            _subtrees.RemoveAt(_subtrees.Count - 1);
            height++;
        }

        _subtrees.Add((height, hash));
        Size++;
    }

    /// <summary>MTH of the leaves so far.</summary>
    public byte[] Root()
    {
        if (_subtrees.Count == 0)
        {
            return Merkle.EmptyRoot();
        }

        var hash = _subtrees[^1].Hash;
        for (var i = _subtrees.Count - 2; i >= 0; i--)
        {
            hash = Merkle.Node(_subtrees[i].Hash, hash);
        }

        return hash;
    }
}
