using System.Globalization;
using System.Text;
using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using BodyCam.Audit.Tree;
using BodyCam.Audit.Tree.Witnessing;

namespace BodyCam.Audit.Events.Exporting;

/// <summary>
/// <c>GET /api/audit/export?format=csv|json&amp;from=&amp;to=</c> (compliance, admin): a contiguous run
/// of the chain with every entry's hash and the hash before it, so the file can be verified on its
/// own (<c>infra/verifier</c>). <c>from</c> and <c>to</c> are sequence numbers or times (when audit
/// recorded the entries). The JSON export also carries the signed checkpoints in range and the public
/// key that checks them, and what checks the entries against the log's Merkle tree offline
/// (<see cref="TreeProof"/>). Entries are streamed a page at a time, however many there are. The
/// export is recorded as a consultation of the record, with the reason given.
/// </summary>
public static class ExportChain
{
    public const string CsvHeader = "seq,at,recordedAt,type,messageId,actorId,subject,data,prevHash,hash";
    private const int Page = 2000;

    public static RouteHandlerBuilder MapExportChain(this RouteGroupBuilder audit) =>
        audit.MapGet("/export", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("ExportAuditChain")
            .WithSummary("A verifiable export of the chain (CSV or JSON) for a regulator or a court.");

    private static async Task<IResult> HandleAsync(
        HttpContext http, IDocumentSession session, CheckpointSigner signer, LogTree tree, Witnesses witnesses, TimeProvider time, CancellationToken cancellationToken,
        string format = "json", string? from = null, string? to = null, string? reason = null)
    {
        if (format is not ("csv" or "json"))
        {
            return Problem.Invalid("format", "format is csv or json.");
        }

        var (first, firstError) = await ChainBounds.ResolveAsync(session, from, lower: true, cancellationToken);
        var (last, lastError) = await ChainBounds.ResolveAsync(session, to, lower: false, cancellationToken);
        if ((firstError ?? lastError) is { } error)
        {
            return Problem.Invalid(firstError is null ? "to" : "from", error);
        }

        if (first > last)
        {
            return Problem.Invalid("from", "from must not be after to.");
        }

        // An export is a disclosure of the whole record in range: on the record before a byte leaves.
        PersonalDataReads.Record(session, http, "audit", "export", null, (int)Math.Clamp(last - first + 1, 0, int.MaxValue), reason, time.GetUtcNow());
        await session.SaveChangesAsync(cancellationToken);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"bodycam-audit-{first}-{last}.{format}\"";
        if (format == "csv")
        {
            http.Response.ContentType = "text/csv; charset=utf-8";
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 64 * 1024);
            await using var csv = new CsvHelper.CsvWriter(writer, CultureInfo.InvariantCulture);
            foreach (var name in CsvHeader.Split(','))
            {
                csv.WriteField(name);
            }

            await csv.NextRecordAsync();
            await foreach (var entry in EntriesAsync(session, first, last, cancellationToken))
            {
                foreach (var field in new[]
                {
                    entry.Id.ToString(CultureInfo.InvariantCulture), Time(entry.At), Time(entry.RecordedAt), entry.Type, entry.MessageId.ToString("D"),
                    entry.ActorId, entry.Subject, entry.Data, entry.PrevHash, entry.Hash,
                })
                {
                    csv.WriteField(field);
                }

                await csv.NextRecordAsync();
            }

            return Results.Empty;
        }

        http.Response.ContentType = "application/json; charset=utf-8";
        var (pem, keyId) = signer.PublicKey;
        var checkpoints = await session.Query<Checkpoint>().Where(c => c.Id >= first && c.Id <= last).OrderBy(c => c.Id).ToListAsync(cancellationToken);
        TreeProof? proof;
        try
        {
            proof = await TreeProof.ForAsync(session, signer, tree, first, last, cancellationToken);
        }
        catch (TreeBrokenException)
        {
            // The chain as it stands is still exported; without a tree proof, and the verifier says so.
            proof = null;
        }

        await using (var json = new Utf8JsonWriter(http.Response.Body, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("format", "bodycam-audit-export/1");
            json.WriteString("exportedAt", Time(DateTimeOffset.UtcNow));
            json.WriteNumber("from", first);
            json.WriteNumber("to", last);
            json.WriteString("hash", "SHA-256 over the compact JSON array [seq, prevHash, at, type, messageId, actorId, subject, data]");
            json.WriteString("publicKeyPem", pem);
            json.WriteString("keyId", keyId);
            json.WriteStartArray("checkpoints");
            foreach (var c in checkpoints)
            {
                json.WriteStartObject();
                json.WriteNumber("seq", c.Id);
                json.WriteString("hash", c.Hash);
                json.WriteString("at", Time(c.At));
                json.WriteString("signature", c.Signature);
                json.WriteString("keyId", c.KeyId);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (proof is not null)
            {
                json.WritePropertyName("tree");
                // As an element first: serializing straight into the writer would flush it to the response synchronously.
                JsonSerializer.SerializeToElement(proof with { WitnessKeys = [.. witnesses.Keys.Select(k => SignedNote.VerifierKey(k.Name, k.Type, k.PublicKey))], WitnessQuorum = witnesses.QuorumSize }, TreeProof.Json)
                    .WriteTo(json);
            }

            json.WriteStartArray("entries");
            var written = 0;
            await foreach (var entry in EntriesAsync(session, first, last, cancellationToken))
            {
                json.WriteStartObject();
                json.WriteNumber("seq", entry.Id);
                json.WriteString("at", Time(entry.At));
                json.WriteString("recordedAt", Time(entry.RecordedAt));
                json.WriteString("type", entry.Type);
                json.WriteString("messageId", entry.MessageId.ToString("D"));
                json.WriteString("actorId", entry.ActorId);
                json.WriteString("subject", entry.Subject);
                json.WriteString("data", entry.Data);
                json.WriteString("prevHash", entry.PrevHash);
                json.WriteString("hash", entry.Hash);
                json.WriteEndObject();
                if (++written % Page == 0)
                {
                    await json.FlushAsync(cancellationToken);
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Results.Empty;
    }

    private static async IAsyncEnumerable<AuditEntry> EntriesAsync(IQuerySession session, long first, long last, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var at = first; at <= last; at += Page)
        {
            var upTo = Math.Min(last, at + Page - 1);
            var page = await session.Query<AuditEntry>().Where(e => e.Id >= at && e.Id <= upTo).OrderBy(e => e.Id).ToListAsync(cancellationToken);
            foreach (var entry in page)
            {
                yield return entry;
            }

            if (page.Count == 0)
            {
                yield break;
            }
        }
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
