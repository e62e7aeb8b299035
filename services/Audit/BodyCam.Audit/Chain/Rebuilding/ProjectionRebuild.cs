using System.Diagnostics;
using BodyCam.Audit.Monitoring;
using BodyCam.Contracts.Audit;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Npgsql;
using Weasel.Core;

namespace BodyCam.Audit.Chain.Rebuilding;

/// <summary>Where a rebuild is: which projection, how far, how fast.</summary>
public sealed record RebuildStatus(
    string State, string? Projection, long Processed, long Total, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double PerSecond, string? Error, string? StartedBy,
    long Rewritten = 0, bool Full = false)
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
    public const int Page = 50_000;

    private readonly object _gate = new();
    private RebuildStatus _status = RebuildStatus.Idle;

    public RebuildStatus Status { get { lock (_gate) { return _status; } } }

    /// <param name="full">Rewrite every document, not only those that differ (after restoring the documents from a backup one does not trust, say).</param>
    public bool TryStart(string startedBy, bool full = false)
    {
        lock (_gate)
        {
            if (_status.State == "running")
            {
                return false;
            }

            _status = new RebuildStatus("running", "audit-entries", 0, 0, time.GetUtcNow(), null, 0, null, startedBy, Full: full);
        }

        _ = Task.Run(() => RunAsync(full));
        return true;
    }

    private async Task RunAsync(bool full)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await using (var query = store.QuerySession())
            {
                var state = await query.Events.FetchStreamStateAsync(AuditChain.StreamKey);
                Update(s => s with { Total = state?.Version ?? 0 });
            }

            // Each page is one statement in PostgreSQL: the documents are projected from the chain's
            // links where they lie, and only those that differ (or are missing) are written, unless
            // the rebuild is full.
            var total = Status.Total;
            var schema = store.Options.Events.DatabaseSchemaName;
            long rewritten = 0;
            await using (var connection = store.Storage.Database.CreateConnection())
            {
                await connection.OpenAsync();
                for (long from = 1; from <= total; from += Page)
                {
                    var to = Math.Min(total, from + Page - 1);
                    await using var command = new NpgsqlCommand(RebuildPageSql(schema, full), connection) { CommandTimeout = 0 };
                    command.Parameters.AddWithValue("stream", AuditChain.StreamKey);
                    command.Parameters.AddWithValue("from", from);
                    command.Parameters.AddWithValue("to", to);
                    command.Parameters.AddWithValue("type", typeof(AuditEntry).FullName!);
                    rewritten += await command.ExecuteNonQueryAsync();
                    Update(s => s with { Processed = to, Rewritten = rewritten, PerSecond = to / Math.Max(clock.Elapsed.TotalSeconds, 0.001) });
                }
            }

            Update(s => s with { Projection = "misuse-alerts", Processed = 0, Total = 0 });
            await using (var session = store.QuerySession())
            {
                var alertEvents = await session.Events.QueryAllRawEvents()
                    .Where(e => e.EventTypeName == "misuse_alert_raised" || e.EventTypeName == "misuse_alert_recurred" || e.EventTypeName == "misuse_alert_acknowledged")
                    .OrderBy(e => e.Sequence)
                    .ToListAsync();
                var alerts = new Dictionary<string, MisuseAlert>();
                foreach (var data in alertEvents.Select(e => e.Data))
                {
                    var id = data switch
                    {
                        MisuseAlertRaised r => r.AlertId,
                        MisuseAlertRecurred r => r.AlertId,
                        MisuseAlertAcknowledged a => a.AlertId,
                        _ => null,
                    };
                    if (id is not null && MisuseAlert.Fold(alerts.GetValueOrDefault(id), data) is { } alert)
                    {
                        alerts[id] = alert;
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

    /// <summary>
    /// Projects a page of the chain's links into query documents: the document is the link's entry,
    /// and the indexed columns are read from it. A document already equal to its projection is left
    /// alone (no write, no dead row) unless the rebuild is <paramref name="full"/>; one that differs,
    /// or is missing, is written. The time keeps six digits of its seven, cut as Npgsql cuts them
    /// when Marten writes (a plain cast would round).
    /// </summary>
    private static string RebuildPageSql(string schema, bool full) => $$"""
        INSERT INTO {{schema}}.mt_doc_auditentry AS d
            (id, data, mt_last_modified, mt_version, mt_dotnet_type, camera_id, officer_id, viewer_id, incident_ref, type, at, subject)
        SELECT e.version, e.data -> 'entry', transaction_timestamp(), gen_random_uuid(), @type,
               e.data -> 'entry' ->> 'cameraId', e.data -> 'entry' ->> 'officerId', e.data -> 'entry' ->> 'viewerId',
               e.data -> 'entry' ->> 'incidentRef', e.data -> 'entry' ->> 'type', regexp_replace(e.data -> 'entry' ->> 'at', '(\.[0-9]{6})[0-9]+', '\1')::timestamptz,
               e.data -> 'entry' ->> 'subject'
        FROM {{schema}}.mt_events e
        WHERE e.stream_id = @stream AND e.version BETWEEN @from AND @to
        ON CONFLICT (id) DO UPDATE SET
            data = excluded.data, mt_last_modified = excluded.mt_last_modified, mt_version = excluded.mt_version,
            mt_dotnet_type = excluded.mt_dotnet_type, camera_id = excluded.camera_id, officer_id = excluded.officer_id,
            viewer_id = excluded.viewer_id, incident_ref = excluded.incident_ref, type = excluded.type, at = excluded.at,
            subject = excluded.subject
        {{(full ? "" : """
        WHERE (d.data, d.mt_dotnet_type, d.camera_id, d.officer_id, d.viewer_id, d.incident_ref, d.type, d.at, d.subject)
            IS DISTINCT FROM (excluded.data, excluded.mt_dotnet_type, excluded.camera_id, excluded.officer_id, excluded.viewer_id,
                              excluded.incident_ref, excluded.type, excluded.at, excluded.subject)
        """)}}
        """;

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
        audit.MapPost("/rebuild", (HttpContext http, ProjectionRebuild rebuild, bool? full) =>
                rebuild.TryStart(http.User.ActorId(), full ?? false)
                    ? Results.Accepted("/api/audit/rebuild", rebuild.Status)
                    : Problem.Conflict("A rebuild is already running; follow it at GET /api/audit/rebuild."))
            .RequireRoles(Roles.Admin)
            .WithName("RebuildAuditProjections")
            .WithSummary("Rebuild every audit projection from the event streams (the chain is never written); ?full=true rewrites every document, not only those that differ.");
        audit.MapGet("/rebuild", (ProjectionRebuild rebuild) => TypedResults.Ok(rebuild.Status))
            .RequireRoles(Roles.Admin, Roles.Compliance)
            .WithName("AuditRebuildProgress")
            .WithSummary("The progress of the running (or last) rebuild.");
    }
}
