using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using System.Text.Json;
using Marten;
using Npgsql;
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

        var verified = await VerifyAsync(session.DocumentStore, start, end, cancellationToken) with { Head = head };
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

    /// <summary>
    /// Checks <paramref name="from"/>..<paramref name="to"/> in one pass: one query streams each link
    /// of the chain's event stream beside whether its query document (body and indexed columns) still
    /// says the same; hashes are recomputed a page at a time on every core, and the links are
    /// followed in order. The indexed time is compared with six digits of the entry's seven, cut as
    /// Npgsql cuts them when Marten writes.
    /// </summary>
    public static async Task<ChainVerification> VerifyAsync(IDocumentStore store, long from, long to, CancellationToken cancellationToken)
    {
        if (to < from)
        {
            return new ChainVerification(from, to, 0, true, null, null);
        }

        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT e.version, (e.data -> 'entry')::text,
                   d.id IS NOT NULL,
                   d.data = e.data -> 'entry'
                   AND d.type IS NOT DISTINCT FROM e.data -> 'entry' ->> 'type'
                   AND d.subject IS NOT DISTINCT FROM e.data -> 'entry' ->> 'subject'
                   AND d.camera_id IS NOT DISTINCT FROM e.data -> 'entry' ->> 'cameraId'
                   AND d.officer_id IS NOT DISTINCT FROM e.data -> 'entry' ->> 'officerId'
                   AND d.viewer_id IS NOT DISTINCT FROM e.data -> 'entry' ->> 'viewerId'
                   AND d.incident_ref IS NOT DISTINCT FROM e.data -> 'entry' ->> 'incidentRef'
                   AND d.at IS NOT DISTINCT FROM regexp_replace(e.data -> 'entry' ->> 'at', '(\.[0-9]{6})[0-9]+', '\1')::timestamptz
            FROM {schema}.mt_events e
            LEFT JOIN {schema}.mt_doc_auditentry d ON d.id = e.version
            WHERE e.stream_id = @stream AND e.version BETWEEN @from AND @to
            ORDER BY e.version
            """, connection);
        command.Parameters.AddWithValue("stream", AuditChain.StreamKey);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        command.CommandTimeout = 0;

        var previous = from == 1 ? AuditHash.Genesis : await HashAtAsync(store, from - 1, cancellationToken);
        var page = new List<Link>(Page);
        long expected = from, checkedCount = 0;
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        while (true)
        {
            page.Clear();
            while (page.Count < Page && await reader.ReadAsync(cancellationToken))
            {
                page.Add(new Link(reader.GetInt64(0), reader.IsDBNull(1) ? "null" : reader.GetString(1), reader.GetBoolean(2), !reader.IsDBNull(3) && reader.GetBoolean(3)));
            }

            if (page.Count == 0)
            {
                break;
            }

            var entries = new AuditEntry?[page.Count];
            var hashed = new bool[page.Count];
            Parallel.For(0, page.Count, i =>
            {
                try
                {
                    entries[i] = JsonSerializer.Deserialize<AuditEntry>(page[i].Json, EntryJson);
                }
                catch (JsonException)
                {
                    entries[i] = null;  // changed into something that is not a chain link: reported below
                }

                hashed[i] = entries[i] is { } e && e.Id == page[i].Seq && e.ComputeHash() == e.Hash;
            });

            for (var i = 0; i < page.Count; i++)
            {
                var (seq, _, hasDocument, documentSame) = page[i];
                if (seq != expected)
                {
                    return new ChainVerification(from, to, checkedCount, false, expected, $"Entry {expected}: the chain's event stream has no entry here.");
                }

                var problem = entries[i] is null ? "the chain's event stream holds no chain link here"
                    : entries[i]!.PrevHash != previous ? "it does not link to the entry before"
                    : !hashed[i] ? "its content does not match its hash"
                    : !hasDocument ? "its query document is missing"
                    : !documentSame ? "its query document differs from the chain"
                    : null;
                if (problem is not null)
                {
                    return new ChainVerification(from, to, checkedCount, false, seq, $"Entry {seq}: {problem}.");
                }

                previous = entries[i]!.Hash;
                expected++;
                checkedCount++;
            }
        }

        return expected > to
            ? new ChainVerification(from, to, checkedCount, true, null, null)
            : new ChainVerification(from, to, checkedCount, false, expected, $"Entry {expected}: the chain's event stream has no entry here.");
    }

    /// <summary>The chain's entries as Marten stores them (camelCase).</summary>
    private static readonly JsonSerializerOptions EntryJson = new(JsonSerializerDefaults.Web);

    private static async Task<string?> HashAtAsync(IDocumentStore store, long seq, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == AuditChain.StreamKey && e.Version == seq)
            .ToListAsync(cancellationToken);
        return events.Select(e => e.Data).OfType<ChainLinked>().SingleOrDefault()?.Entry.Hash;
    }

    private sealed record Link(long Seq, string Json, bool HasDocument, bool DocumentSame);
}
