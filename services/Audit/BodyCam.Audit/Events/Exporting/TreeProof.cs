using System.Text.Json;
using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.Audit.Tree;
using Marten;

namespace BodyCam.Audit.Events.Exporting;

/// <summary>
/// What an export carries so its entries can be checked against the log's tree with no server:
/// the hashes of the perfect subtrees before the first entry (<see cref="Prefix"/>, which with the
/// entries' leaves give the root of the tree up to the last entry), the newest signed checkpoint
/// (a tree of <c>Checkpoint.size</c> ≥ the last entry) with its witness cosignatures, the RFC 9162
/// consistency proof from the tree ending at the last entry to it, the checkpoints signed at sizes
/// inside the export, and the keys that sign them. The verifier recomputes the root at every one.
/// </summary>
public sealed record TreeProof(string Origin, string LogKey, long PrefixSize, IReadOnlyList<string> Prefix, string Checkpoint, long CheckpointSize,
    IReadOnlyList<string> Consistency, IReadOnlyList<string> Checkpoints, IReadOnlyList<string>? WitnessKeys = null, int WitnessQuorum = 0)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The proof for entries <paramref name="first"/>..<paramref name="last"/>; null when no checkpoint of the tree covers them yet.</summary>
    public static async Task<TreeProof?> ForAsync(IQuerySession session, CheckpointSigner signer, LogTree tree, long first, long last, CancellationToken cancellationToken)
    {
        var newest = await CheckpointStream.LatestAsync(session, cancellationToken);
        if (newest is null || newest.Id < last)
        {
            await signer.SignHeadAsync(cancellationToken);
            newest = await CheckpointStream.LatestAsync(session, cancellationToken);
        }

        if (newest?.Note is null || newest.Id < last || last < first)
        {
            return null;
        }

        var prefixSize = first - 1;
        var prefix = new List<string>();
        foreach (var (level, index) in CompactRange.Subtrees(prefixSize))
        {
            prefix.Add(Convert.ToBase64String(await tree.NodeAsync(level, index, prefixSize, cancellationToken)));
        }

        var consistency = await tree.ConsistencyProofAsync(last, newest.Id, cancellationToken);
        var inside = await CheckpointStream.InRangeAsync(session.DocumentStore, first, last, cancellationToken);
        return new TreeProof(signer.Origin, SignedNote.VerifierKey(signer.LogKey.Name, signer.LogKey.Type, signer.LogKey.PublicKey), prefixSize, prefix,
            newest.Note, newest.Id, [.. consistency.Select(Convert.ToBase64String)], [.. inside.Select(c => c.Checkpoint?.Note).OfType<string>().Distinct()]);
    }
}
