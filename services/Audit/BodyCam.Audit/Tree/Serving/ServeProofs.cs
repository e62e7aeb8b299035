using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Tree.Serving;

/// <summary>An inclusion proof (RFC 9162 §2.1.3): entry <see cref="Seq"/> is leaf <c>seq-1</c> of the tree of <see cref="TreeSize"/>.</summary>
public sealed record InclusionProof(long Seq, long TreeSize, string LeafHash, IReadOnlyList<string> Hashes);

/// <summary>A consistency proof (RFC 9162 §2.1.4): the tree of <see cref="From"/> entries is a prefix of the tree of <see cref="To"/>.</summary>
public sealed record ConsistencyProof(long From, long To, IReadOnlyList<string> Hashes);

/// <summary>
/// <c>GET /api/audit/proofs/inclusion?seq=&amp;treeSize=</c> and <c>GET /api/audit/proofs/consistency?from=&amp;to=</c>:
/// proofs computed from the stored tree, hashes in base64. The tree size defaults to the newest checkpoint's.
/// </summary>
public static class ServeProofs
{
    public static RouteGroupBuilder MapServeProofs(this RouteGroupBuilder audit)
    {
        audit.MapGet("/proofs/inclusion", InclusionAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("GetAuditInclusionProof")
            .WithSummary("Proof that entry seq is in the tree of treeSize entries (RFC 9162 §2.1.3).");
        audit.MapGet("/proofs/consistency", ConsistencyAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("GetAuditConsistencyProof")
            .WithSummary("Proof that the tree of from entries is a prefix of the tree of to entries (RFC 9162 §2.1.4).");
        return audit;
    }

    private static async Task<Results<Ok<InclusionProof>, ValidationProblem>> InclusionAsync(
        LogTree tree, IQuerySession session, CancellationToken cancellationToken, long? seq = null, long? treeSize = null)
    {
        if (seq is not { } s || s < 1)
        {
            return Problem.Invalid("seq", "seq is an entry's sequence number, 1 or more.");
        }

        var asked = treeSize ?? (await CheckpointStream.LatestAsync(session, cancellationToken))?.Id;
        var size = await tree.SizeAtLeastAsync(asked ?? long.MaxValue, cancellationToken);
        var at = asked ?? size;

        if (at < s || at > size)
        {
            return Problem.Invalid("treeSize", $"treeSize must be from seq ({s}) to the tree's size ({size}).");
        }

        var proof = await tree.InclusionProofAsync(s - 1, at, cancellationToken);
        var leaf = await tree.TileAsync(0, (s - 1) / Tiles.Width, at, cancellationToken);
        var position = (int)((s - 1) % Tiles.Width) * Merkle.HashSize;
        return TypedResults.Ok(new InclusionProof(s, at, Convert.ToBase64String(leaf!, position, Merkle.HashSize), [.. proof.Select(Convert.ToBase64String)]));
    }

    private static async Task<Results<Ok<ConsistencyProof>, ValidationProblem>> ConsistencyAsync(
        LogTree tree, IQuerySession session, CancellationToken cancellationToken, long? from = null, long? to = null)
    {
        if (from is not { } start || start < 1)
        {
            return Problem.Invalid("from", "from is a tree size, 1 or more.");
        }

        var asked = to ?? (await CheckpointStream.LatestAsync(session, cancellationToken))?.Id;
        var size = await tree.SizeAtLeastAsync(asked ?? long.MaxValue, cancellationToken);
        var end = asked ?? size;

        if (end < start || end > size)
        {
            return Problem.Invalid("to", $"to must be from {start} to the tree's size ({size}).");
        }

        var proof = await tree.ConsistencyProofAsync(start, end, cancellationToken);
        return TypedResults.Ok(new ConsistencyProof(start, end, [.. proof.Select(Convert.ToBase64String)]));
    }
}
