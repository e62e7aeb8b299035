using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using System.Text.Json;
using Marten;
using BodyCam.Audit.Tree;
using BodyCam.Audit.Tree.Witnessing;
using Npgsql;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Chain.Verifying;

/// <summary>
/// The outcome of checking a range of the chain: where it first breaks, and why, and the latest
/// signed checkpoint inside the range (its hash matched the entry and its signature the key).
/// </summary>
public sealed record ChainVerification(long From, long To, long Checked, bool Ok, long? FirstBrokenSeq, string? Problem, Checkpoints.CheckpointView? LastCheckpoint = null, long Head = 0,
    int CheckpointsChecked = 0, IReadOnlyList<WitnessCheck>? Witnesses = null, bool? WitnessQuorum = null);

/// <summary>
/// <c>GET /api/audit/verify?from=&amp;to=</c> (sequence numbers or times): recomputes every entry's
/// hash in the range and checks each links to the one before. It checks the chain's event stream
/// (the record of truth) and the documents queries and exports read, and names the first sequence
/// number where either differs: a byte changed directly in PostgreSQL is found at its exact place.
/// In the same pass it checks the Merkle tree and every checkpoint in the range
/// (<see cref="TreeVerifier"/>), and asks each witness what it last cosigned: a record rewritten
/// whole, hashes, tiles and checkpoints re-signed, still disagrees with the witness.
/// </summary>
public static class VerifyChain
{
    public const int MaxRange = 1_000_000;
    private const int Page = 10_000;
    private const int ReadAhead = 2;   // pages read at once, each by its own PostgreSQL backend

    public static RouteHandlerBuilder MapVerifyChain(this RouteGroupBuilder audit) =>
        audit.MapGet("/verify", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("VerifyAuditChain")
            .WithSummary("Check a range of the audit chain; names the first broken sequence number.");

    private static async Task<Results<Ok<ChainVerification>, ValidationProblem>> HandleAsync(
        IQuerySession session, CheckpointSigner signer, TreeVerifier trees, Witnesses witnesses, CancellationToken cancellationToken, string? from = null, string? to = null)
    {
        var state = await session.Events.FetchStreamStateAsync(AuditChain.StreamKey, cancellationToken);
        var head = state?.Version ?? 0;
        var (start, startError) = await ChainBounds.ResolveAsync(session, from, lower: true, cancellationToken);
        if (startError is not null)
        {
            return Problem.Invalid("from", $"from is a sequence number (1 or more) or a time: {startError}");
        }

        var (last, endError) = await ChainBounds.ResolveAsync(session, to, lower: false, cancellationToken);
        if (endError is not null)
        {
            return Problem.Invalid("to", $"to is a sequence number or a time: {endError}");
        }

        if (to is not null && last < start && start != long.MaxValue)
        {
            return Problem.Invalid("to", "to must not be before from.");
        }

        start = Math.Min(start, head + 1);
        var end = Math.Min(last, head);
        if (end - start + 1 > MaxRange)
        {
            return Problem.Invalid("to", $"Verify at most {MaxRange:N0} entries at a time (the chain's head is {head:N0}).");
        }

        TreeVerifier.Walk walk;
        ChainVerification verified;
        IReadOnlyList<WitnessCheck> witnessed;
        try
        {
            walk = await trees.StartAsync(start, end, head, cancellationToken);
            verified = await VerifyAsync(session.DocumentStore, start, end, cancellationToken, walk.PageAsync) with { Head = head };
            if (!verified.Ok)
            {
                return TypedResults.Ok(verified);
            }

            witnessed = await walk.FinishAsync(cancellationToken);
        }
        catch (TreeBrokenException e)
        {
            // The tree cannot even be read back (a tile or an entry missing, or changed under its hash).
            return TypedResults.Ok(new ChainVerification(start, end, 0, false, null, e.Message, Head: head));
        }

        var quorum = witnessed.Count(w => w.Agrees == true) >= witnesses.QuorumSize;
        verified = verified with { CheckpointsChecked = walk.CheckpointsChecked, Witnesses = witnessed, WitnessQuorum = quorum };
        if (walk.Broken is { } broken)
        {
            return TypedResults.Ok(verified with { Ok = false, FirstBrokenSeq = broken.Seq, Problem = broken.Problem });
        }

        if (witnessed.FirstOrDefault(w => w.Agrees == false) is { } disagrees)
        {
            return TypedResults.Ok(verified with { Ok = false, FirstBrokenSeq = disagrees.TreeSize, Problem = $"Witness {disagrees.Witness}: {disagrees.Note}" });
        }

        // A witness that cannot be asked confirms nothing: without the quorum, the record is not shown untouched.
        if (!quorum && witnessed.Any(w => w.TreeSize is null && w.Note?.StartsWith("unreachable", StringComparison.Ordinal) == true))
        {
            return TypedResults.Ok(verified with { Ok = false, Problem = $"Only {witnessed.Count(w => w.Agrees == true)} of the {witnesses.QuorumSize} witnesses needed confirm the tree; the others could not be asked." });
        }

        // The newest chain statement in range (RSA, signed since the first release) must name the hash the chain has there.
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
    /// Checks <paramref name="from"/>..<paramref name="to"/> a page at a time: one query per page
    /// gives each link of the chain's event stream beside whether its query document (body and
    /// indexed columns) still says the same. The next <see cref="ReadAhead"/> pages are read, each on
    /// its own connection, while this one's hashes are recomputed on every core; the links are then
    /// followed in order.
    /// </summary>
    public static async Task<ChainVerification> VerifyAsync(IDocumentStore store, long from, long to, CancellationToken cancellationToken,
        Func<long, IReadOnlyList<byte[]>, CancellationToken, Task>? onLeaves = null)
    {
        if (to < from)
        {
            return new ChainVerification(from, to, 0, true, null, null);
        }

        var previous = from == 1 ? AuditHash.Genesis : await HashAtAsync(store, from - 1, cancellationToken);
        long expected = from, checkedCount = 0, nextPage = from;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = new Queue<Task<List<Link>>>();
        void ReadMore()
        {
            for (; reading.Count < ReadAhead && nextPage <= to; nextPage += Page)
            {
                reading.Enqueue(ReadPageAsync(store, nextPage, Math.Min(to, nextPage + Page - 1), stop.Token));
            }
        }

        try
        {
            ReadMore();
            while (reading.TryDequeue(out var next))
            {
                var page = await next;
                ReadMore();
                if (page.Count == 0)
                {
                    break;
                }

                var entries = new AuditEntry?[page.Count];
                var hashed = new bool[page.Count];
                var documentsSame = new bool[page.Count];
                var leaves = new byte[page.Count][];
                Parallel.For(0, page.Count, i =>
                {
                    entries[i] = Entry(page[i].Json);
                    hashed[i] = entries[i] is { } e && e.Id == page[i].Seq && e.ComputeHash() == e.Hash;
                    leaves[i] = entries[i] is { } l ? Convert.FromBase64String(l.ComputeLeafHash()) : [];
                    documentsSame[i] = entries[i] is { } entry && page[i].Document is { } document && document.Matches(entry);
                });

                for (var i = 0; i < page.Count; i++)
                {
                    var seq = page[i].Seq;
                    if (seq != expected)
                    {
                        break;
                    }

                    var problem = entries[i] is not { } entry ? "the chain's event stream holds no chain link here"
                        : entry.PrevHash != previous ? "it does not link to the entry before"
                        : !hashed[i] ? "its content does not match its hash"
                        : page[i].Document is null ? "its query document is missing"
                        : !documentsSame[i] ? "its query document differs from the chain"
                        : null;
                    if (problem is not null)
                    {
                        return new ChainVerification(from, to, checkedCount, false, seq, $"Entry {seq}: {problem}.");
                    }

                    previous = entries[i]!.Hash;
                    expected++;
                    checkedCount++;
                }

                if (onLeaves is not null)
                {
                    var good = (int)(expected - page[0].Seq);
                    await onLeaves(page[0].Seq, leaves[..Math.Max(0, Math.Min(good, page.Count))], cancellationToken);
                }

                if (expected <= page[^1].Seq)
                {
                    break;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var left in reading)
            {
                try
                {
                    await left;
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Stopped early: a broken entry was found, or the caller went away.
                }
            }
        }

        return expected > to
            ? new ChainVerification(from, to, checkedCount, true, null, null)
            : new ChainVerification(from, to, checkedCount, false, expected, $"Entry {expected}: the chain's event stream has no entry here.");
    }

    private static AuditEntry? Entry(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<AuditEntry>(json, AuditEntry.Json);
        }
        catch (JsonException)
        {
            return null;  // changed into something that is not a chain link
        }
    }

    private static async Task<List<Link>> ReadPageAsync(IDocumentStore store, long from, long to, CancellationToken cancellationToken)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(PageSql(store.Options.Events.DatabaseSchemaName), connection);
        command.Parameters.AddWithValue("stream", AuditChain.StreamKey);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        var page = new List<Link>(Page);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(new Link(reader.GetInt64(0), reader.IsDBNull(1) ? "null" : reader.GetString(1), reader.IsDBNull(2) ? null : new Document(
                reader.GetBoolean(2), Text(reader, 3), Text(reader, 4), Text(reader, 5), Text(reader, 6), Text(reader, 7), Text(reader, 8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9))));
        }

        return page;
    }

    /// <summary>
    /// A page of links beside their documents: whether the document's body is the link's entry
    /// (jsonb equality, in PostgreSQL), and the indexed columns queries read, compared here.
    /// </summary>
    private static string PageSql(string schema) => $$"""
        SELECT e.version, (e.data -> 'entry')::text,
               d.data = e.data -> 'entry', d.type, d.subject, d.camera_id, d.officer_id, d.viewer_id, d.incident_ref, d.at
        FROM {{schema}}.mt_events e
        LEFT JOIN {{schema}}.mt_doc_auditentry d ON d.id = e.version AND d.id BETWEEN @from AND @to
        WHERE e.stream_id = @stream AND e.version BETWEEN @from AND @to
        ORDER BY e.version
        """;

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    private static async Task<string?> HashAtAsync(IDocumentStore store, long seq, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == AuditChain.StreamKey && e.Version == seq)
            .ToListAsync(cancellationToken);
        return events.Select(e => e.Data).OfType<ChainLinked>().SingleOrDefault()?.Entry.Hash;
    }

    private sealed record Link(long Seq, string Json, Document? Document);

    /// <summary>A query document as verification reads it: whether its body is the link's entry, and its indexed columns.</summary>
    private sealed record Document(bool SameBody, string? Type, string? Subject, string? CameraId, string? OfficerId, string? ViewerId, string? IncidentRef, DateTimeOffset? At)
    {
        /// <summary>The time is compared to the microsecond: PostgreSQL keeps six digits of the entry's seven (Npgsql cuts the last).</summary>
        public bool Matches(AuditEntry entry) =>
            SameBody && Type == entry.Type && Subject == entry.Subject && CameraId == entry.CameraId && OfficerId == entry.OfficerId
            && ViewerId == entry.ViewerId && IncidentRef == entry.IncidentRef
            && At?.UtcTicks == entry.At.UtcTicks - entry.At.UtcTicks % 10;
    }
}
