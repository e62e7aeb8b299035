using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.Audit.Tree;
using BodyCam.Audit.Tree.Witnessing;
using Marten;

namespace BodyCam.Audit.Chain.Verifying;

/// <summary>What a witness said about the tree: the size it cosigned last and whether this log's tree there has the root it cosigned.</summary>
public sealed record WitnessCheck(string Witness, long? TreeSize, bool? Agrees, string? Note);

/// <summary>
/// Checks the Merkle tree and every checkpoint against the entries, in the same pass as the chain:
/// each entry's leaf hash (from the chain's event stream) must be in its stored level 0 tile; the
/// root recomputed from the entries must be every checkpoint's root at its size, and the stored
/// tree's root at the end of the range; checkpoints must be numbered without a gap, in growing
/// sizes, and signed by the log's key; and each witness's last cosigned tree must be this tree.
/// </summary>
public sealed class TreeVerifier(IDocumentStore store, LogTree tree, TreeTiles tiles, Witnesses witnesses, CheckpointSigner signer)
{
    private LogTree StoredTree => tree;
    private TreeTiles StoredTiles => tiles;
    private CheckpointSigner Signer => signer;

    public async Task<Walk> StartAsync(long from, long to, long head, CancellationToken cancellationToken)
    {
        var before = from - 1;
        var seed = CompactRange.Subtrees(before);
        var hashes = new List<byte[]>();
        foreach (var (level, index) in seed)
        {
            hashes.Add(await tree.NodeAsync(level, index, before, cancellationToken));
        }

        var checkpoints = await CheckpointStream.InRangeAsync(store, from, to, cancellationToken);
        var witnessed = await witnesses.LatestAsync(signer.Origin, signer.LogKey, cancellationToken);
        return new Walk(this, CompactRange.Of(before, hashes), checkpoints, witnessed, head);
    }

    /// <summary>One pass over a range: fed the entries' leaf hashes in order, a page at a time.</summary>
    public sealed class Walk
    {
        private readonly TreeVerifier _verifier;
        private readonly CompactRange _range;
        private readonly List<(long Version, Checkpoint? Checkpoint)> _checkpoints;
        private readonly IReadOnlyList<WitnessedHead> _witnessed;
        private readonly Dictionary<long, byte[]> _rootsWanted;
        private readonly long _head;
        private int _nextCheckpoint;

        internal Walk(TreeVerifier verifier, CompactRange range, List<(long, Checkpoint?)> checkpoints, IReadOnlyList<WitnessedHead> witnessed, long head)
        {
            (_verifier, _range, _checkpoints, _witnessed, _head) = (verifier, range, checkpoints, witnessed, head);
            _rootsWanted = witnessed.Where(w => w.Size is { } s && s > range.Size).ToDictionary(w => w.Size!.Value, _ => Array.Empty<byte>());
        }

        public int CheckpointsChecked { get; private set; }

        public Checkpoint? LastCheckpoint { get; private set; }

        /// <summary>The first problem found (its sequence number and why), or null.</summary>
        public (long Seq, string Problem)? Broken { get; private set; }

        /// <summary>Checks a page of leaves, entry <paramref name="first"/> on, against the tiles and the checkpoints at those sizes.</summary>
        public async Task PageAsync(long first, IReadOnlyList<byte[]> leaves, CancellationToken cancellationToken)
        {
            if (Broken is not null || leaves.Count == 0)
            {
                return;
            }

            var last = first + leaves.Count - 1;
            var fullTiles = await _verifier.StoredTiles.ReadAsync(0, (first - 1) / Tiles.Width, (last - 1) / Tiles.Width, cancellationToken);
            for (var i = 0; i < leaves.Count; i++)
            {
                var seq = first + i;
                var tile = (seq - 1) / Tiles.Width;
                if (Tiles.WidthAt(0, tile, _head) == Tiles.Width)
                {
                    if (fullTiles.GetValueOrDefault(tile) is not { } hashes || hashes.Length != Tiles.Width * Merkle.HashSize)
                    {
                        Broken = (seq, $"Entry {seq}: the tree's tile 0/{Tiles.IndexPath(tile)} is missing.");
                        return;
                    }

                    if (!hashes.AsSpan((int)((seq - 1) % Tiles.Width) * Merkle.HashSize, Merkle.HashSize).SequenceEqual(leaves[i]))
                    {
                        Broken = (seq, $"Entry {seq}: its leaf in the tree's tile 0/{Tiles.IndexPath(tile)} is not its content's hash.");
                        return;
                    }
                }

                _range.Append(leaves[i]);
                if (_rootsWanted.ContainsKey(seq))
                {
                    _rootsWanted[seq] = _range.Root();
                }

                if (!CheckCheckpointsAt(seq))
                {
                    return;
                }
            }
        }

        /// <summary>After the last page: the stored tree's root at the end must be the entries' root, and each witness must agree.</summary>
        public async Task<IReadOnlyList<WitnessCheck>> FinishAsync(CancellationToken cancellationToken)
        {
            if (Broken is null && _range.Size > 0)
            {
                var stored = await _verifier.StoredTree.RootAsync(_range.Size, cancellationToken);
                if (!stored.AsSpan().SequenceEqual(_range.Root()))
                {
                    Broken = (_range.Size, $"The tree's stored tiles give another root for {_range.Size} entries than the entries do.");
                }
            }

            if (Broken is null && _nextCheckpoint < _checkpoints.Count)
            {
                var (version, checkpoint) = _checkpoints[_nextCheckpoint];
                Broken = (checkpoint?.Id ?? _range.Size, $"Checkpoint {version} names a tree of {checkpoint?.Id} entries that is not in order with the checkpoints before it.");
            }

            var checks = new List<WitnessCheck>();
            foreach (var witness in _witnessed)
            {
                if (witness.Size is not { } size)
                {
                    checks.Add(new WitnessCheck(witness.Witness, null, null, witness.Unavailable));
                    continue;
                }

                if (size > _head)
                {
                    checks.Add(new WitnessCheck(witness.Witness, size, false, $"It cosigned a tree of {size} entries; this log has {_head}: entries were removed."));
                    continue;
                }

                var root = _rootsWanted.TryGetValue(size, out var walked) && walked.Length > 0 ? walked : await _verifier.StoredTree.RootAsync(size, cancellationToken);
                var agrees = root.AsSpan().SequenceEqual(witness.Root);
                checks.Add(new WitnessCheck(witness.Witness, size, agrees, agrees ? null : $"It cosigned another tree of {size} entries: the record was rewritten after it cosigned."));
            }

            return checks;
        }

        private bool CheckCheckpointsAt(long seq)
        {
            while (_nextCheckpoint < _checkpoints.Count && _checkpoints[_nextCheckpoint].Checkpoint?.Id == seq)
            {
                var (version, checkpoint) = _checkpoints[_nextCheckpoint];
                var previous = _nextCheckpoint > 0 ? _checkpoints[_nextCheckpoint - 1].Version : (long?)null;
                var problem =
                    previous is { } p && version != p + 1 ? $"checkpoint {p + 1} is missing before checkpoint {version}"
                    : checkpoint!.Number != version ? $"checkpoint {version} says it is number {checkpoint.Number}"
                    : !SignedNote.TryParse(checkpoint.Note, out var body, out var signatures) || !signatures.Any(s => _verifier.Signer.LogKeys.Any(k => SignedNote.Verifies(body, s, k)))
                        ? $"checkpoint {version} is not signed by the log's key"
                    : !SignedNote.TryReadCheckpoint(body, out var origin, out var size, out var root) || origin != _verifier.Signer.Origin || size != checkpoint.Id
                        ? $"checkpoint {version}'s note does not say what the checkpoint does"
                    : !root.AsSpan().SequenceEqual(_range.Root()) ? $"checkpoint {version} signed a root the entries do not make: the record changed after it was signed"
                    : null;
                if (problem is not null)
                {
                    Broken = (seq, $"Entry {seq}: {problem}.");
                    return false;
                }

                CheckpointsChecked++;
                LastCheckpoint = checkpoint;
                _nextCheckpoint++;
            }

            return true;
        }
    }
}
