using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Audit.Chain.Checkpoints;

/// <summary>A checkpoint as the API shows it (API.md: seq, hash, at, signature, keyId).</summary>
public sealed record CheckpointView(long Seq, string Hash, DateTimeOffset At, string Signature, string KeyId);

public static class CheckpointViews
{
    public static CheckpointView View(this Checkpoint c) => new(c.Id, c.Hash, c.At, c.Signature, c.KeyId);
}

public sealed record CheckpointList(string PublicKeyPem, string KeyId, string Algorithm, IReadOnlyList<CheckpointView> Checkpoints);

/// <summary><c>GET /api/audit/checkpoints?limit=</c>: the latest signed checkpoints, newest first, and the key that checks them.</summary>
public static class ListCheckpoints
{
    public static RouteHandlerBuilder MapListCheckpoints(this RouteGroupBuilder audit) =>
        audit.MapGet("/checkpoints", async (IQuerySession session, CheckpointSigner signer, CancellationToken cancellationToken, int? limit) =>
            {
                var take = Math.Clamp(limit ?? 100, 1, 1000);
                var checkpoints = await session.Query<Checkpoint>().OrderByDescending(c => c.Id).Take(take).ToListAsync(cancellationToken);
                var (pem, keyId) = signer.PublicKey;
                return TypedResults.Ok(new CheckpointList(pem, keyId, "RS256 (RSA PKCS#1 v1.5, SHA-256) over \"{seq}\\n{hash}\\n{at}\"",
                    [.. checkpoints.Select(c => c.View())]));
            })
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("ListAuditCheckpoints")
            .WithSummary("The latest signed checkpoints of the audit chain, and the public key that checks them.");
}
