using System.Numerics;
using System.Security.Cryptography;

namespace BodyCam.Audit.Tree;

/// <summary>
/// The Merkle tree of RFC 9162 (Certificate Transparency 2.0, as RFC 6962 before it), over SHA-256:
/// a leaf's hash is SHA-256(0x00 ‖ entry), a node's SHA-256(0x01 ‖ left ‖ right), and a tree of n
/// leaves splits at the largest power of two below n. Proofs are built from the hashes of complete
/// subtrees, which a <see cref="NodeHash"/> gives: <c>node(level, index)</c> is the hash of leaves
/// <c>[index·2^level, (index+1)·2^level)</c>, which the log stores (as tiles) and never changes.
/// Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 to the letter, so any client that implements
/// the RFC checks BodyCam's proofs with its own code.
/// </summary>
public static class Merkle
{
    public const int HashSize = 32;

    /// <summary>The hash of the complete subtree at <paramref name="level"/> whose leaves start at <c>index·2^level</c>.</summary>
    public delegate byte[] NodeHash(int level, long index);

    /// <summary>The root of the empty tree: SHA-256 of nothing.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData([]);

    public static byte[] Leaf(ReadOnlySpan<byte> entry)
    {
        Span<byte> input = entry.Length <= 1024 ? stackalloc byte[entry.Length + 1] : new byte[entry.Length + 1];
        input[0] = 0x00;
        entry.CopyTo(input[1..]);
        return SHA256.HashData(input);
    }

    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> input = stackalloc byte[1 + 2 * HashSize];
        input[0] = 0x01;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + HashSize)..]);
        return SHA256.HashData(input);
    }

    /// <summary>The largest power of two smaller than <paramref name="n"/> (n ≥ 2): where RFC 9162 splits a tree of n leaves.</summary>
    public static long Split(long n) => n < 2 ? throw new ArgumentOutOfRangeException(nameof(n), n, "A tree splits from two leaves up.")
        : 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>MTH(D[0:size]): the root of the tree of the first <paramref name="size"/> leaves.</summary>
    public static byte[] Root(long size, NodeHash node) => size == 0 ? EmptyRoot() : Range(0, size, node);

    /// <summary>PATH(index, D[0:size]), RFC 9162 §2.1.3.1: the inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves.</summary>
    public static List<byte[]> InclusionProof(long index, long size, NodeHash node)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Leaf {index} is not in a tree of {size}.");
        }

        var proof = new List<byte[]>();
        Path(index, 0, size, node, proof);
        return proof;
    }

    /// <summary>PROOF(first, D[0:second]), RFC 9162 §2.1.4.1: proof that the tree of <paramref name="first"/> leaves is a prefix of the tree of <paramref name="second"/>.</summary>
    public static List<byte[]> ConsistencyProof(long first, long second, NodeHash node)
    {
        if (first < 0 || first > second)
        {
            throw new ArgumentOutOfRangeException(nameof(first), first, $"A tree of {first} is not a prefix of one of {second}.");
        }

        var proof = new List<byte[]>();
        if (first > 0 && first < second)
        {
            Subproof(first, 0, second, true, node, proof);
        }

        return proof;
    }

    /// <summary>RFC 9162 §2.1.3.2: whether <paramref name="proof"/> proves <paramref name="leaf"/> is leaf <paramref name="index"/> of the tree of <paramref name="size"/> leaves with <paramref name="root"/>.</summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leaf, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (index < 0 || index >= size || leaf.Length != HashSize || proof.Any(p => p.Length != HashSize))
        {
            return false;
        }

        var (fn, sn) = (index, size - 1);
        var r = leaf.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    (fn, sn) = (fn >> 1, sn >> 1);
                }
            }
            else
            {
                r = Node(r, p);
            }

            (fn, sn) = (fn >> 1, sn >> 1);
        }

        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>RFC 9162 §2.1.4.2: whether <paramref name="proof"/> proves the tree of <paramref name="first"/> leaves with <paramref name="firstRoot"/> is a prefix of the tree of <paramref name="second"/> with <paramref name="secondRoot"/>.</summary>
    public static bool VerifyConsistency(long first, long second, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (first < 0 || first > second || proof.Any(p => p.Length != HashSize))
        {
            return false;
        }

        if (first == second)
        {
            return proof.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        }

        if (first == 0)
        {
            // Every tree extends the empty one; there is nothing to prove.
            return proof.Count == 0 && firstRoot.SequenceEqual(EmptyRoot());
        }

        if (proof.Count == 0)
        {
            return false;
        }

        var path = BitOperations.IsPow2(first) ? [firstRoot.ToArray(), .. proof] : proof;
        var (fn, sn) = (first - 1, second - 1);
        while ((fn & 1) == 1)
        {
            (fn, sn) = (fn >> 1, sn >> 1);
        }

        var (fr, sr) = (path[0], path[0]);
        foreach (var c in path.Skip(1))
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                (fr, sr) = (Node(c, fr), Node(c, sr));
                while ((fn & 1) == 0 && fn != 0)
                {
                    (fn, sn) = (fn >> 1, sn >> 1);
                }
            }
            else
            {
                sr = Node(sr, c);
            }

            (fn, sn) = (fn >> 1, sn >> 1);
        }

        return sn == 0 && fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot);
    }

    /// <summary>MTH(D[start:end]): a complete subtree's stored hash when the range is one, else split as the RFC splits.</summary>
    private static byte[] Range(long start, long end, NodeHash node)
    {
        var n = end - start;
        if (BitOperations.IsPow2(n) && start % n == 0)
        {
            return node(BitOperations.Log2((ulong)n), start / n);
        }

        var k = Split(n);
        return Node(Range(start, start + k, node), Range(start + k, end, node));
    }

    private static void Path(long m, long start, long end, NodeHash node, List<byte[]> proof)
    {
        var n = end - start;
        if (n == 1)
        {
            return;
        }

        var k = Split(n);
        if (m < k)
        {
            Path(m, start, start + k, node, proof);
            proof.Add(Range(start + k, end, node));
        }
        else
        {
            Path(m - k, start + k, end, node, proof);
            proof.Add(Range(start, start + k, node));
        }
    }

    private static void Subproof(long m, long start, long end, bool complete, NodeHash node, List<byte[]> proof)
    {
        var n = end - start;
        if (m == n)
        {
            if (!complete)
            {
                proof.Add(Range(start, end, node));
            }

            return;
        }

        var k = Split(n);
        if (m <= k)
        {
            Subproof(m, start, start + k, complete, node, proof);
            proof.Add(Range(start + k, end, node));
        }
        else
        {
            Subproof(m - k, start + k, end, false, node, proof);
            proof.Add(Range(start, start + k, node));
        }
    }
}
