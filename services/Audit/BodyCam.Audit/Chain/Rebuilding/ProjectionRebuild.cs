using System.Diagnostics;
using BodyCam.Audit.Monitoring;
using BodyCam.Contracts.Audit;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using JasperFx.Events;
using Marten;
using Weasel.Core;

namespace BodyCam.Audit.Chain.Rebuilding;

/// <summary>Where a rebuild is: which projection, how far, how fast.</summary>
public sealed record RebuildStatus(
    string State, string? Projection, long Processed, long Total, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double PerSecond, string? Error, string? StartedBy)
{
    public static readonly RebuildStatus Idle = new("idle", null, 0, 0, null, null, 0, null, null);
}

/// <summary>
/// Rebuilds every audit projection from the event streams, the record of truth: the query documents
/// of the chain from its <see cref="ChainLinked"/> events (a page at a time, bulk-written), then the
/// misuse alerts from their own streams. A query document changed behind audit's back is put right;
/// the chain itself is never written. One rebuild at a time; its progress is readable while it runs.
/// </summary>
public sealed class ProjectionRebuild(IDocumentStore store, TimeProvider time, ILogger<ProjectionRebuild> log)
{
    public const int Page = 5000;

    private readonly object _gate = new();
    private RebuildStatus _status = RebuildStatus.Idle;

    public RebuildStatus Status { get { lock (_gate) { return _status; } } }

    public bool TryStart(string startedBy)
    {
        lock (_gate)
        {
            if (_status.State == "running")
            {
                return false;
            }

            _status = new RebuildStatus("running", "audit-entries", 0, 0, time.GetUtcNow(), null, 0, null, startedBy);
        }

        _ = Task.Run(RunAsync);
        return true;
    }

    private async Task RunAsync()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await using (var query = store.QuerySession())
            {
                var state = await query.Events.FetchStreamStateAsync(AuditChain.StreamKey);
                Update(s => s with { Total = state?.Version ?? 0 });
            }

            var total = Status.Total;
            for (long from = 1; from <= total; from += Page)
            {
                var to = Math.Min(total, from + Page - 1);
                await using var session = store.QuerySession();
                var events = await session.Events.QueryAllRawEvents()
                    .Where(e => e.StreamKey == AuditChain.StreamKey && e.Version >= from && e.Version <= to)
                    .OrderBy(e => e.Version)
                    .ToListAsync();
                var entries = events.Select(e => e.Data).OfType<ChainLinked>().Select(l => l.Entry).ToList();
                await store.BulkInsertDocumentsAsync(entries, BulkInsertMode.OverwriteExisting);
                Update(s => s with { Processed = to, PerSecond = to / Math.Max(clock.Elapsed.TotalSeconds, 0.001) });
            }

            Update(s => s with { Projection = "misuse-alerts", Processed = 0, Total = 0 });
            await using (var session = store.QuerySession())
            {
                var alertEvents = await session.Events.QueryAllRawEvents()
                    .Where(e => e.EventTypeName == "misuse_alert_raised" || e.EventTypeName == "misuse_alert_acknowledged")
                    .OrderBy(e => e.Sequence)
                    .ToListAsync();
                var alerts = new Dictionary<string, MisuseAlert>();
                foreach (var data in alertEvents.Select(e => e.Data))
                {
                    if (data is MisuseAlertRaised r)
                    {
                        alerts[r.AlertId] = new MisuseAlert(r.AlertId, r.Rule, r.Seq, r.OccurredAt, r.ViewerId, r.OfficerId, r.CameraId, r.Explanation);
                    }
                    else if (data is MisuseAlertAcknowledged a && alerts.TryGetValue(a.AlertId, out var raised))
                    {
                        alerts[a.AlertId] = raised with { State = MisuseAlert.Acknowledged, AcknowledgedBy = a.ActorId, Note = a.Note, AcknowledgedAt = a.OccurredAt };
                    }
                }

                await store.BulkInsertDocumentsAsync(alerts.Values, BulkInsertMode.OverwriteExisting);
                Update(s => s with { Processed = alerts.Count, Total = alerts.Count });
            }

            Update(s => s with { State = "done", Projection = null, FinishedAt = time.GetUtcNow(), Processed = total, Total = total, PerSecond = total / Math.Max(clock.Elapsed.TotalSeconds, 0.001) });
            log.LogInformation("Rebuilt the audit projections: {Total} chain entries in {Seconds:0.0} s", total, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e)
        {
            log.LogError(e, "Rebuilding the audit projections failed");
            Update(s => s with { State = "failed", FinishedAt = time.GetUtcNow(), Error = e.Message });
        }
    }

    private void Update(Func<RebuildStatus, RebuildStatus> change)
    {
        lock (_gate)
        {
            _status = change(_status);
        }
    }
}

/// <summary>
/// <c>POST /api/audit/rebuild</c> (admin) starts a rebuild of every audit projection from the streams;
/// <c>GET /api/audit/rebuild</c> (admin, compliance) shows its progress.
/// </summary>
public static class RebuildProjections
{
    public static void MapRebuildProjections(this RouteGroupBuilder audit)
    {
        audit.MapPost("/rebuild", (HttpContext http, ProjectionRebuild rebuild) =>
                rebuild.TryStart(http.User.ActorId())
                    ? Results.Accepted("/api/audit/rebuild", rebuild.Status)
                    : Problem.Conflict("A rebuild is already running; follow it at GET /api/audit/rebuild."))
            .RequireRoles(Roles.Admin)
            .WithName("RebuildAuditProjections")
            .WithSummary("Rebuild every audit projection from the event streams (the chain is never written).");
        audit.MapGet("/rebuild", (ProjectionRebuild rebuild) => TypedResults.Ok(rebuild.Status))
            .RequireRoles(Roles.Admin, Roles.Compliance)
            .WithName("AuditRebuildProgress")
            .WithSummary("The progress of the running (or last) rebuild.");
    }
}
