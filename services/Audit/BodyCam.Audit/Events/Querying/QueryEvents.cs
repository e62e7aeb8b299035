using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Npgsql;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Events.Querying;

public sealed record AuditEventView(
    long Seq, DateTimeOffset At, DateTimeOffset RecordedAt, string Type, Guid MessageId, string ActorId,
    string Subject, JsonElement Data, string Hash, string PrevHash, string LeafHash);

public sealed record AuditEventPage(IReadOnlyList<AuditEventView> Items, long? Next);

/// <summary>
/// <c>GET /api/audit/events</c>: the chain's entries, filtered, oldest first, with a cursor:
/// pass <c>next</c> as <c>after</c> for the following page.
/// </summary>
public static class QueryEvents
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    private static readonly HashSet<string> Filters = new(StringComparer.OrdinalIgnoreCase)
    {
        "cameraId", "officerId", "viewerId", "incidentRef", "type", "from", "to", "after", "limit", "reason",
    };

    public static RouteHandlerBuilder MapQueryEvents(this RouteGroupBuilder audit) =>
        audit.MapGet("/events", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("QueryAuditEvents")
            .WithSummary("The audit chain's entries, filtered, with cursor paging.");

    private static async Task<Results<Ok<AuditEventPage>, ValidationProblem>> HandleAsync(
        HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken,
        string? cameraId = null, string? officerId = null, string? viewerId = null, string? incidentRef = null,
        string? type = null, DateTimeOffset? from = null, DateTimeOffset? to = null, long? after = null, int? limit = null, string? reason = null)
    {
        var unknown = http.Request.Query.Keys.Where(k => !Filters.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            return Problem.Invalid("query", $"Unknown filter(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", Filters)}.");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Problem.Invalid("limit", $"limit must be between 1 and {MaxLimit}.");
        }

        if (from > to)
        {
            return Problem.Invalid("from", "from must not be after to.");
        }

        if (after is < 0)
        {
            return Problem.Invalid("after", "after is a sequence number, 0 or more.");
        }

        var take = limit ?? DefaultLimit;
        var entries = await FindAsync(session.DocumentStore, cameraId, officerId, viewerId, incidentRef, type, from, to, after ?? 0, take + 1, cancellationToken);
        var page = entries.Take(take)
            .Select(e => new AuditEventView(e.Id, e.At, e.RecordedAt, e.Type, e.MessageId, e.ActorId, e.Subject,
                JsonDocument.Parse(e.Data).RootElement, e.Hash, e.PrevHash, e.ComputeLeafHash()))
            .ToList();
        // Reading the record is on the record too, before the page leaves.
        PersonalDataReads.Record(session, http, "audit", "audit-entries", officerId ?? cameraId ?? viewerId ?? incidentRef, page.Count, reason, time.GetUtcNow());
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new AuditEventPage(page, entries.Count > take ? page[^1].Seq : null));
    }

    /// <summary>
    /// The entries after <paramref name="after"/> that pass every filter, in chain order. Paging by
    /// viewer or by type reads the (column, seq) index from the cursor on, as a row comparison: with
    /// a plain "type = X AND seq > N" PostgreSQL walks the sequence index instead and, where X is
    /// sparse, reads a long way for its hundred rows.
    /// </summary>
    private static async Task<List<AuditEntry>> FindAsync(IDocumentStore store, string? cameraId, string? officerId, string? viewerId, string? incidentRef,
        string? type, DateTimeOffset? from, DateTimeOffset? to, long after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand { Connection = connection };
        var where = new List<string>();
        void Filter(string condition, string name, object value)
        {
            where.Add(condition);
            command.Parameters.AddWithValue(name, value);
        }

        var leading = viewerId is not null ? ("viewer_id", viewerId)
            : type is not null && cameraId is null && officerId is null && incidentRef is null ? ("type", type)
            : ((string Column, string Value)?)null;
        if (leading is var (column, value))
        {
            Filter($"(d.{column}, d.id) > (@lead, @after) AND d.{column} <= @lead", "lead", value);
        }
        else
        {
            where.Add("d.id > @after");
        }

        command.Parameters.AddWithValue("after", after);
        var filters = new (bool Applies, string Condition, string Name, object? Value)[]
        {
            (cameraId is not null, "d.camera_id = @camera", "camera", cameraId),
            (officerId is not null, "d.officer_id = @officer", "officer", officerId),
            (viewerId is not null && leading is null, "d.viewer_id = @viewer", "viewer", viewerId),
            (incidentRef is not null, "d.incident_ref = @incident", "incident", incidentRef),
            (type is not null && leading?.Column != "type", "d.type = @type", "type", type),
            // PostgreSQL takes times in UTC only.
            (from is not null, "d.at >= @from", "from", from?.ToUniversalTime()),
            (to is not null, "d.at <= @to", "to", to?.ToUniversalTime()),
        };
        foreach (var (_, condition, name, filterValue) in filters.Where(f => f.Applies))
        {
            Filter(condition, name, filterValue!);
        }

        command.Parameters.AddWithValue("limit", limit);
        var order = leading is var (orderBy, _) ? $"d.{orderBy}, d.id" : "d.id";
        command.CommandText = $"SELECT d.data::text FROM {store.Options.DatabaseSchemaName}.mt_doc_auditentry d WHERE {string.Join(" AND ", where)} ORDER BY {order} LIMIT @limit";

        var entries = new List<AuditEntry>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(JsonSerializer.Deserialize<AuditEntry>(reader.GetString(0), AuditEntry.Json)!);
        }

        return entries;
    }
}
