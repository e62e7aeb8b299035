using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Chain.Verifying;

/// <summary>
/// The outcome of checking a range of the chain: where it first breaks, and why, and the latest
/// signed checkpoint inside the range (its hash matched the entry and its signature the key).
/// </summary>
public sealed record ChainVerification(long From, long To, long Checked, bool Ok, long? FirstBrokenSeq, string? Problem, Checkpoints.CheckpointView? LastCheckpoint = null, long Head = 0);

/// <summary>
/// <c>GET /api/audit/verify?from=&amp;to=</c>: recomputes every entry's hash in a range of sequence
/// numbers and checks each links to the one before. It checks the chain's event stream (the record
/// of truth) and the documents queries and exports read, and names the first sequence number where
/// either differs: a byte changed directly in PostgreSQL is found at its exact place.
/// </summary>
public static class VerifyChain
{
    public const int MaxRange = 1_000_000;
    private const int Page = 5_000;

    public static RouteHandlerBuilder MapVerifyChain(this RouteGroupBuilder audit) =>
        audit.MapGet("/verify", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("VerifyAuditChain")
            .WithSummary("Check a range of the audit chain; names the first broken sequence number.");

    private static async Task<Results<Ok<ChainVerification>, ValidationProblem>> HandleAsync(
        IQuerySession session, CheckpointSigner signer, CancellationToken cancellationToken, long? from = null, long? to = null)
    {
        var state = await session.Events.FetchStreamStateAsync(AuditChain.StreamKey, cancellationToken);
        var head = state?.Version ?? 0;
        var start = from ?? 1;
        var end = Math.Min(to ?? head, head);
        if (start < 1)
        {
            return Problem.Invalid("from", "from is a sequence number, 1 or more.");
        }

        if (to is { } last && last < start)
        {
            return Problem.Invalid("to", "to must not be before from.");
        }

        if (end - start + 1 > MaxRange)
        {
            return Problem.Invalid("to", $"Verify at most {MaxRange:N0} entries at a time (the chain's head is {head:N0}).");
        }

        var verified = await VerifyAsync(session, start, end, cancellationToken) with { Head = head };
        if (!verified.Ok)
        {
            return TypedResults.Ok(verified);
        }

        // The newest checkpoint in range must name the hash the chain has there, signed by audit's key.
        var checkpoint = await session.Query<Checkpoint>().Where(c => c.Id >= start && c.Id <= end).OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
        if (checkpoint is not null)
        {
            var entry = await session.LoadAsync<AuditEntry>(checkpoint.Id, cancellationToken);
            using var key = System.Security.Cryptography.RSA.Create();
            key.ImportFromPem(signer.PublicKey.Pem);
            if (entry?.Hash != checkpoint.Hash || !checkpoint.IsSignedBy(key))
            {
                return TypedResults.Ok(verified with { Ok = false, FirstBrokenSeq = checkpoint.Id, Problem = $"Checkpoint {checkpoint.Id} does not match the chain or its signature.", LastCheckpoint = checkpoint.View() });
            }
        }

        return TypedResults.Ok(verified with { LastCheckpoint = checkpoint?.View() });
    }

    public static async Task<ChainVerification> VerifyAsync(IQuerySession session, long from, long to, CancellationToken cancellationToken)
    {
        if (to < from)
        {
            return new ChainVerification(from, to, 0, true, null, null);
        }

        var previous = from == 1
            ? AuditHash.Genesis
            : (await LinkedAsync(session, from - 1, from - 1, cancellationToken)).SingleOrDefault()?.Hash;
        long checkedCount = 0;
        for (var pageStart = from; pageStart <= to; pageStart += Page)
        {
            var pageEnd = Math.Min(to, pageStart + Page - 1);
            var linked = await LinkedAsync(session, pageStart, pageEnd, cancellationToken);
            var documents = (await session.Query<AuditEntry>().Where(e => e.Id >= pageStart && e.Id <= pageEnd).ToListAsync(cancellationToken))
                .ToDictionary(e => e.Id);
            for (var seq = pageStart; seq <= pageEnd; seq++)
            {
                var entry = linked.ElementAtOrDefault((int)(seq - pageStart));
                var problem = entry is null || entry.Id != seq ? "the chain's event stream has no entry here"
                    : entry.PrevHash != previous ? "it does not link to the entry before"
                    : entry.ComputeHash() != entry.Hash ? "its content does not match its hash"
                    : !documents.TryGetValue(seq, out var document) ? "its query document is missing"
                    : document != entry ? "its query document differs from the chain"
                    : null;
                if (problem is not null)
                {
                    return new ChainVerification(from, to, checkedCount, false, seq, $"Entry {seq}: {problem}.");
                }

                previous = entry!.Hash;
                checkedCount++;
            }
        }

        return new ChainVerification(from, to, checkedCount, true, null, null);
    }

    private static async Task<List<AuditEntry>> LinkedAsync(IQuerySession session, long from, long to, CancellationToken cancellationToken)
    {
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == AuditChain.StreamKey && e.Version >= from && e.Version <= to)
            .OrderBy(e => e.Version)
            .ToListAsync(cancellationToken);
        return [.. events.Select(e => e.Data).OfType<ChainLinked>().Select(l => l.Entry)];
    }
}
