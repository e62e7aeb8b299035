using BodyCam.Audit.Tree;
using CsCheck;
using Xunit;

namespace BodyCam.Audit.Tests;

/// <summary>
/// The log's tree against RFC 6962/9162's published vectors and against a plain reference tree
/// (the RFC's recursive definitions over a list of leaves, nothing stored), for every size 1-300.
/// </summary>
public sealed class MerkleTests
{
    // The Certificate Transparency test vectors (RFC 6962 test data, as transparency-dev/merkle publishes them).
    private static readonly byte[][] VectorEntries = new[] { "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" }
        .Select(Convert.FromHexString).ToArray();

    private static readonly string[] VectorRoots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void Roots_match_the_published_vectors_for_every_size_0_to_8()
    {
        var leaves = VectorEntries.Select(e => Merkle.Leaf(e)).ToArray();
        var stored = new StoredTree(leaves);
        for (var size = 0; size <= leaves.Length; size++)
        {
            Assert.Equal(VectorRoots[size], Hex(Merkle.Root(size, stored.Node)));
        }
    }

    [Theory]
    [InlineData(0, 8, new[] { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" })]
    [InlineData(5, 8, new[] { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" })]
    public void Inclusion_proofs_match_the_published_vectors(long index, long size, string[] expected)
    {
        var leaves = VectorEntries.Select(e => Merkle.Leaf(e)).ToArray();
        var proof = Merkle.InclusionProof(index, size, new StoredTree(leaves).Node);
        Assert.Equal(expected, proof.Select(Hex));
        Assert.True(Merkle.VerifyInclusion(index, size, leaves[index], proof, Convert.FromHexString(VectorRoots[size])));
    }

    [Theory]
    [InlineData(2, 8, new[] { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" })]
    [InlineData(6, 8, new[] { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" })]
    [InlineData(2, 5, new[] { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" })]
    public void Consistency_proofs_match_the_published_vectors(long first, long second, string[] expected)
    {
        var leaves = VectorEntries.Select(e => Merkle.Leaf(e)).ToArray();
        var proof = Merkle.ConsistencyProof(first, second, new StoredTree(leaves).Node);
        Assert.Equal(expected, proof.Select(Hex));
        Assert.True(Merkle.VerifyConsistency(first, second, Convert.FromHexString(VectorRoots[first]), Convert.FromHexString(VectorRoots[second]), proof));
    }

    [Fact]
    public void Every_proof_for_every_size_1_to_300_is_the_reference_trees_and_verifies()
    {
        var leaves = Enumerable.Range(0, 300).Select(i => Merkle.Leaf(BitConverter.GetBytes(i))).ToArray();
        var stored = new StoredTree(leaves);
        var roots = Enumerable.Range(0, 301).Select(n => n == 0 ? Merkle.EmptyRoot() : Reference.RootOf(leaves, n)).ToArray();
        for (var size = 1; size <= 300; size++)
        {
            Assert.Equal(roots[size], Merkle.Root(size, stored.Node));
            for (var index = 0; index < size; index++)
            {
                var proof = Merkle.InclusionProof(index, size, stored.Node);
                Assert.Equal(Reference.PathOf(index, leaves, size).Select(Hex), proof.Select(Hex));
                Assert.True(Merkle.VerifyInclusion(index, size, leaves[index], proof, roots[size]), $"leaf {index} of {size}");
            }

            for (var first = 1; first <= size; first++)
            {
                var proof = Merkle.ConsistencyProof(first, size, stored.Node);
                Assert.Equal(Reference.ProofOf(first, leaves, size).Select(Hex), proof.Select(Hex));
                Assert.True(Merkle.VerifyConsistency(first, size, roots[first], roots[size], proof), $"{first} in {size}");
            }
        }
    }

    [Fact]
    public void A_changed_leaf_index_size_root_or_proof_hash_never_verifies()
    {
        var leaves = Enumerable.Range(0, 300).Select(i => Merkle.Leaf(BitConverter.GetBytes(i))).ToArray();
        var stored = new StoredTree(leaves);
        Gen.Select(Gen.Int[1, 300], Gen.Int[0, 299], Gen.Int[0, 1000], Gen.Byte[1, 255]).Where((size, index, _, _) => index < size)
            .Sample((size, index, pick, flip) =>
            {
                var root = Merkle.Root(size, stored.Node);
                var proof = Merkle.InclusionProof(index, size, stored.Node);
                Assert.False(Merkle.VerifyInclusion(index, size, leaves[(index + 1) % 300], proof, root) && size > 1);
                Assert.False(Merkle.VerifyInclusion(index, size, leaves[index], proof, Merkle.Root(size - 1, stored.Node)));
                if (size > 1)
                {
                    Assert.False(Merkle.VerifyInclusion((index + 1) % size, size, leaves[index], proof, root));
                    var changed = proof.Select(p => (byte[])p.Clone()).ToList();
                    changed[pick % changed.Count][pick % Merkle.HashSize] ^= flip;
                    Assert.False(Merkle.VerifyInclusion(index, size, leaves[index], changed, root));
                }

                var first = 1 + pick % size;
                var consistency = Merkle.ConsistencyProof(first, size, stored.Node);
                var firstRoot = Merkle.Root(first, stored.Node);
                if (first < size)
                {
                    // A rewritten history: the older tree with one leaf changed.
                    var rewritten = new StoredTree([.. leaves[..(first - 1)], Merkle.Leaf([flip]), .. leaves[first..]]);
                    Assert.False(Merkle.VerifyConsistency(first, size, Merkle.Root(first, rewritten.Node), root, consistency));
                    var changed = consistency.Select(p => (byte[])p.Clone()).ToList();
                    changed[pick % changed.Count][pick % Merkle.HashSize] ^= flip;
                    Assert.False(Merkle.VerifyConsistency(first, size, firstRoot, root, changed));
                    Assert.False(Merkle.VerifyConsistency(first, size, firstRoot, root, consistency.Take(consistency.Count - 1).ToList()));
                }
            });
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);

    /// <summary>A tree held as every complete subtree's hash, level by level: what the log's tiles hold.</summary>
    private sealed class StoredTree
    {
        private readonly List<byte[][]> _levels = [];

        public StoredTree(byte[][] leaves)
        {
            _levels.Add(leaves);
            while (_levels[^1].Length > 1)
            {
                var below = _levels[^1];
                _levels.Add([.. Enumerable.Range(0, below.Length / 2).Select(i => Merkle.Node(below[2 * i], below[2 * i + 1]))]);
            }
        }

        public byte[] Node(int level, long index) => _levels[level][index];
    }

    /// <summary>
    /// RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 as written: recursion over the list of leaf hashes
    /// D[start:end] (a range of one array, each range's root worked out once).
    /// </summary>
    private static class Reference
    {
        private static readonly Dictionary<(byte[], int, int), byte[]> Roots = [];

        /// <summary>MTH(D[0:n]).</summary>
        public static byte[] RootOf(byte[][] d, int n) => Root(d, 0, n);

        /// <summary>PATH(m, D[0:n]).</summary>
        public static List<byte[]> PathOf(int m, byte[][] d, int n) => Path(m, d, 0, n);

        /// <summary>PROOF(m, D[0:n]).</summary>
        public static List<byte[]> ProofOf(int m, byte[][] d, int n) => m == n ? [] : Subproof(m, d, 0, n, true);

        private static byte[] Root(byte[][] d, int start, int end)
        {
            lock (Roots)
            {
                if (Roots.TryGetValue((d[0], start, end), out var known))
                {
                    return known;
                }
            }

            var n = end - start;
            var root = n == 1 ? d[start] : Merkle.Node(Root(d, start, start + K(n)), Root(d, start + K(n), end));
            lock (Roots)
            {
                Roots[(d[0], start, end)] = root;
            }

            return root;
        }

        private static List<byte[]> Path(int m, byte[][] d, int start, int end)
        {
            var n = end - start;
            if (n == 1)
            {
                return [];
            }

            var k = K(n);
            return m < k ? [.. Path(m, d, start, start + k), Root(d, start + k, end)] : [.. Path(m - k, d, start + k, end), Root(d, start, start + k)];
        }

        private static List<byte[]> Subproof(int m, byte[][] d, int start, int end, bool b)
        {
            var n = end - start;
            if (m == n)
            {
                return b ? [] : [Root(d, start, end)];
            }

            var k = K(n);
            return m <= k ? [.. Subproof(m, d, start, start + k, b), Root(d, start + k, end)] : [.. Subproof(m - k, d, start + k, end, false), Root(d, start, start + k)];
        }

        private static int K(int n)
        {
            var k = 1;
            while (k * 2 < n)
            {
                k *= 2;
            }

            return k;
        }
    }
}
