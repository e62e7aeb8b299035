using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Audit.Tree.Serving;

/// <summary>
/// <c>GET /api/audit/checkpoint</c>: the newest checkpoint as a C2SP signed note (<c>text/plain</c>):
/// origin, tree size, base64 root, the log's Ed25519 signature and each witness's cosignature.
/// </summary>
public static class ServeCheckpoint
{
    public static RouteHandlerBuilder MapServeCheckpoint(this RouteGroupBuilder audit) =>
        audit.MapGet("/checkpoint", async (HttpContext http, IQuerySession session, CancellationToken cancellationToken) =>
            {
                var latest = await CheckpointStream.LatestAsync(session, cancellationToken);
                if (latest?.Note is not { } note)
                {
                    return (IResult)Problem.NotFound("No checkpoint of the tree is signed yet: the record is empty or the signer has not run.");
                }

                http.Response.Headers.CacheControl = "private, max-age=1";
                return TypedResults.Text(note, "text/plain; charset=utf-8");
            })
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("GetAuditCheckpoint")
            .WithSummary("The newest signed checkpoint of the audit log's Merkle tree, with witness cosignatures (C2SP signed note).");
}
