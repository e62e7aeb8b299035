using System.Globalization;

namespace BodyCam.Audit.Tree;

/// <summary>
/// The C2SP <c>tlog-tiles</c> layout of the tree: a tile is 256 consecutive hashes at one height
/// of the tree. Level 0 tiles hold leaf hashes; a hash in a level L tile is the root of a full tile
/// at level L-1, so tile (L, N) spans leaves <c>[N·256^(L+1), (N+1)·256^(L+1))</c>. Full tiles never
/// change; the rightmost tile of each level is partial (1 to 255 hashes) and grows.
/// </summary>
public static class Tiles
{
    public const int Height = 8;
    public const int Width = 1 << Height;

    /// <summary>How many full tiles level <paramref name="level"/> has in the tree of <paramref name="size"/> leaves.</summary>
    public static long FullTiles(int level, long size) => Height * (level + 1) >= 63 ? 0 : size >> (Height * (level + 1));

    /// <summary>How many hashes the tile at <paramref name="level"/> holds in the tree of <paramref name="size"/> leaves, from <paramref name="index"/> on: 256 for a full tile, 1-255 for the partial one, 0 beyond.</summary>
    public static int WidthAt(int level, long index, long size)
    {
        var nodes = size >> (Height * level);   // complete subtrees of 256^level leaves
        var width = nodes - index * Width;
        return (int)Math.Clamp(width, 0, Width);
    }

    /// <summary>The smallest tree whose tile (<paramref name="level"/>, <paramref name="index"/>) holds <paramref name="width"/> hashes: <see cref="long.MaxValue"/> past what a long counts.</summary>
    public static long SizeHolding(int level, long index, int width)
    {
        var nodes = (System.Numerics.BigInteger)index * Width + width;
        var leaves = nodes << (Height * level);
        return leaves > long.MaxValue ? long.MaxValue : (long)leaves;
    }

    /// <summary>The tree node of the hash at <paramref name="position"/> of tile (<paramref name="level"/>, <paramref name="index"/>): Merkle level <c>8·level</c>.</summary>
    public static (int Level, long Index) NodeOf(int level, long index, int position) => (Height * level, index * Width + position);

    /// <summary>The tile index path <c>x001/x234/067</c> of tlog-tiles for <paramref name="index"/>.</summary>
    public static string IndexPath(long index)
    {
        var groups = new List<string>();
        do
        {
            groups.Insert(0, (index % 1000).ToString("000", CultureInfo.InvariantCulture));
            index /= 1000;
        }
        while (index > 0);

        return string.Join('/', groups.Select((g, i) => i < groups.Count - 1 ? "x" + g : g));
    }

    /// <summary>
    /// Reads <c>x001/x234/067</c> or <c>067.p/12</c>: the tile index, and the width for a partial
    /// tile (256 for a full one). Anything else (no <c>x</c> on an inner group, a group not three
    /// digits, a width outside 1-255, an index past what a long holds) is not a tile.
    /// </summary>
    public static bool TryParse(string? path, out long index, out int width)
    {
        (index, width) = (0, Width);
        if (string.IsNullOrEmpty(path) || path.Length > 64)
        {
            return false;
        }

        var partial = path.IndexOf(".p/", StringComparison.Ordinal);
        if (partial >= 0)
        {
            var w = path[(partial + 3)..];
            if (w.Length is < 1 or > 3 || w[0] == '0' || !w.All(char.IsAsciiDigit) || !int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out width) || width is < 1 or >= Width)
            {
                return false;
            }

            path = path[..partial];
        }

        var groups = path.Split('/');
        for (var i = 0; i < groups.Length; i++)
        {
            var group = groups[i];
            var inner = i < groups.Length - 1;
            if (inner != group.StartsWith('x'))
            {
                return false;
            }

            var digits = inner ? group[1..] : group;
            if (digits.Length != 3 || !digits.All(char.IsAsciiDigit))
            {
                return false;
            }

            if (index > (long.MaxValue - 999) / 1000)
            {
                return false;
            }

            index = index * 1000 + int.Parse(digits, CultureInfo.InvariantCulture);
        }

        // One spelling per index: no leading x000 groups.
        return IndexPath(index) == path;
    }

    /// <summary>The tile holding the hashes the subtree at Merkle <paramref name="level"/>, <paramref name="index"/> is computed from.</summary>
    public static (int Level, long Index) TileOf(int level, long index) => (level / Height, (index << (level % Height)) / Width);

    /// <summary>The hash of the subtree at Merkle <paramref name="level"/>, <paramref name="index"/> from the tile <see cref="TileOf"/> names; null when the tile is too narrow to hold it.</summary>
    public static byte[]? NodeFrom(ReadOnlySpan<byte> tile, int level, long index)
    {
        var height = level % Height;
        var first = (int)((index << height) % Width) * Merkle.HashSize;
        var span = (1 << height) * Merkle.HashSize;
        return first + span > tile.Length ? null : PerfectRoot(tile.Slice(first, span));
    }

    /// <summary>The hash of a perfect subtree given its leaves' (or lower nodes') hashes, a power of two of them.</summary>
    public static byte[] PerfectRoot(ReadOnlySpan<byte> hashes)
    {
        var count = hashes.Length / Merkle.HashSize;
        if (count == 0 || (count & (count - 1)) != 0)
        {
            throw new ArgumentException("A perfect subtree has a power of two of hashes.", nameof(hashes));
        }

        var level = hashes.ToArray();
        while (count > 1)
        {
            for (var i = 0; i < count / 2; i++)
            {
                var node = Merkle.Node(level.AsSpan(2 * i * Merkle.HashSize, Merkle.HashSize), level.AsSpan((2 * i + 1) * Merkle.HashSize, Merkle.HashSize));
                node.CopyTo(level, i * Merkle.HashSize);
            }

            count /= 2;
        }

        return level[..Merkle.HashSize];
    }
}
