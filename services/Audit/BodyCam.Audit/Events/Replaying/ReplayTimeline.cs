using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Events.Replaying;

public sealed record TimelineItem(long Seq, DateTimeOffset At, string Type, string ActorId, string Subject, string? CameraId, JsonElement Data, string LeafHash);

public sealed record Timeline(string? IncidentRef, IReadOnlyList<string> CameraIds, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<TimelineItem> Items, bool Truncated);

/// <summary>
/// <c>GET /api/audit/timeline?incidentRef=</c> or <c>?cameraId=&amp;from=&amp;to=</c>: the replay, in the
/// order things happened. For a camera: everything recorded about it in the window (recording,
/// positions, assignment, requests, grants and their ends, Watch Me). For an incident: every entry
/// naming it, and everything about the cameras it involved from 15 minutes before its first entry to
/// 30 minutes after its last (the longest grant), so grants' ends and the positions around them are there.
/// </summary>
public static class ReplayTimeline
{
    public const int MaxItems = 10_000;
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(7);
    public static readonly TimeSpan Before = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan After = TimeSpan.FromMinutes(30);

    public static RouteHandlerBuilder MapReplayTimeline(this RouteGroupBuilder audit) =>
        audit.MapGet("/timeline", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("ReplayTimeline")
            .WithSummary("An incident's or a camera's whole story from the audit record, in order.");

    private static async Task<Results<Ok<Timeline>, ValidationProblem>> HandleAsync(
        HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken,
        string? incidentRef = null, string? cameraId = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? reason = null)
    {
        // A replay is a consultation of the record: on the record itself, with the reason given, before it leaves.
        async Task<Ok<Timeline>> AnswerAsync(Timeline timeline)
        {
            PersonalDataReads.Record(session, http, "audit", "timeline", incidentRef ?? cameraId, timeline.Items.Count, reason, time.GetUtcNow());
            await session.SaveChangesAsync(cancellationToken);
            return TypedResults.Ok(timeline);
        }

        if ((incidentRef is null) == (cameraId is null))
        {
            return Problem.Invalid("query", "Give either incidentRef, or cameraId (with from and to).");
        }

        if (incidentRef is not null)
        {
            var named = await session.Query<AuditEntry>().Where(e => e.IncidentRef == incidentRef).OrderBy(e => e.Id).Take(MaxItems).ToListAsync(cancellationToken);
            if (named.Count == 0)
            {
                return await AnswerAsync(new Timeline(incidentRef, [], time.GetUtcNow(), time.GetUtcNow(), [], false));
            }

            var cameras = named.Select(e => e.CameraId).OfType<string>().Distinct().ToList();
            var start = named.Min(e => e.At) - Before;
            var end = named.Max(e => e.At) + After;
            var around = await session.Query<AuditEntry>()
                .Where(e => e.CameraId != null && cameras.Contains(e.CameraId) && e.At >= start && e.At <= end)
                .OrderBy(e => e.At).Take(MaxItems).ToListAsync(cancellationToken);
            return await AnswerAsync(Build(incidentRef, cameras, start, end, named.Concat(around)));
        }

        var windowEnd = to ?? time.GetUtcNow();
        var windowStart = from ?? windowEnd - TimeSpan.FromHours(24);
        if (windowStart > windowEnd)
        {
            return Problem.Invalid("from", "from must not be after to.");
        }

        if (windowEnd - windowStart > MaxWindow)
        {
            return Problem.Invalid("to", $"A camera's timeline covers at most {MaxWindow.TotalDays} days.");
        }

        var entries = await session.Query<AuditEntry>()
            .Where(e => e.CameraId == cameraId && e.At >= windowStart && e.At <= windowEnd)
            .OrderBy(e => e.At).Take(MaxItems + 1).ToListAsync(cancellationToken);
        return await AnswerAsync(Build(null, [cameraId!], windowStart, windowEnd, entries));
    }

    private static Timeline Build(string? incidentRef, IReadOnlyList<string> cameras, DateTimeOffset from, DateTimeOffset to, IEnumerable<AuditEntry> entries)
    {
        var ordered = entries.DistinctBy(e => e.Id).OrderBy(e => e.At).ThenBy(e => e.Id).ToList();
        var items = ordered.Take(MaxItems)
            .Select(e => new TimelineItem(e.Id, e.At, e.Type, e.ActorId, e.Subject, e.CameraId, JsonDocument.Parse(e.Data).RootElement, e.ComputeLeafHash()))
            .ToList();
        return new Timeline(incidentRef, cameras, from, to, items, ordered.Count > MaxItems);
    }
}
