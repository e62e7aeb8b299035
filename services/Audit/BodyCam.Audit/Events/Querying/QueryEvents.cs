using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Events.Querying;

public sealed record AuditEventView(
    long Seq, DateTimeOffset At, DateTimeOffset RecordedAt, string Type, Guid MessageId, string ActorId,
    string Subject, JsonElement Data, string Hash, string PrevHash);

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
        "cameraId", "officerId", "viewerId", "incidentRef", "type", "from", "to", "after", "limit",
    };

    public static RouteHandlerBuilder MapQueryEvents(this RouteGroupBuilder audit) =>
        audit.MapGet("/events", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("QueryAuditEvents")
            .WithSummary("The audit chain's entries, filtered, with cursor paging.");

    private static async Task<Results<Ok<AuditEventPage>, ValidationProblem>> HandleAsync(
        HttpContext http, IQuerySession session, CancellationToken cancellationToken,
        string? cameraId = null, string? officerId = null, string? viewerId = null, string? incidentRef = null,
        string? type = null, DateTimeOffset? from = null, DateTimeOffset? to = null, long? after = null, int? limit = null)
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
        IQueryable<AuditEntry> query = session.Query<AuditEntry>();
        if (after is { } cursor)
        {
            query = query.Where(e => e.Id > cursor);
        }

        if (cameraId is not null)
        {
            query = query.Where(e => e.CameraId == cameraId);
        }

        if (officerId is not null)
        {
            query = query.Where(e => e.OfficerId == officerId);
        }

        if (viewerId is not null)
        {
            query = query.Where(e => e.ViewerId == viewerId);
        }

        if (incidentRef is not null)
        {
            query = query.Where(e => e.IncidentRef == incidentRef);
        }

        if (type is not null)
        {
            query = query.Where(e => e.Type == type);
        }

        if (from is { } start)
        {
            query = query.Where(e => e.At >= start);
        }

        if (to is { } end)
        {
            query = query.Where(e => e.At <= end);
        }

        var entries = await query.OrderBy(e => e.Id).Take(take + 1).ToListAsync(cancellationToken);
        var page = entries.Take(take)
            .Select(e => new AuditEventView(e.Id, e.At, e.RecordedAt, e.Type, e.MessageId, e.ActorId, e.Subject,
                JsonDocument.Parse(e.Data).RootElement, e.Hash, e.PrevHash))
            .ToList();
        return TypedResults.Ok(new AuditEventPage(page, entries.Count > take ? page[^1].Seq : null));
    }
}
