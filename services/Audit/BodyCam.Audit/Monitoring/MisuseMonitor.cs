using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.Contracts.Audit;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;

namespace BodyCam.Audit.Monitoring;

/// <summary>A misuse alert as compliance lists it; its history is the stream <c>alert-{id}</c>.</summary>
public sealed record MisuseAlert(
    string Id,
    string Rule,
    long Seq,
    DateTimeOffset RaisedAt,
    string ViewerId,
    string? OfficerId,
    string? CameraId,
    string Explanation,
    string State = MisuseAlert.Open,
    string? AcknowledgedBy = null,
    string? Note = null,
    DateTimeOffset? AcknowledgedAt = null)
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";

    public static string StreamKey(string id) => $"alert-{id}";
}

/// <summary>
/// Runs the misuse rules over the audit chain as it grows: a Marten subscription on the chain's
/// events, so every entry is looked at once, in order, even across restarts (the daemon keeps its
/// place). An alert's id is its rule and the entry's sequence number, so a page looked at twice
/// raises nothing twice. Alerts are stored and published like any fact, and so enter the chain.
/// </summary>
public sealed class MisuseMonitor(TimeProvider time, ILogger<MisuseMonitor> log) : SubscriptionBase
{
    private static readonly string[] AccessTypes = ["ViewRequestDecided", "ViewRequestApproved", "ViewerSessionEnded"];

    public override async Task<IChangeListener> ProcessEventsAsync(
        EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        foreach (var linked in page.Events.Select(e => e.Data).OfType<ChainLinked>())
        {
            var entry = linked.Entry;
            if (!AccessTypes.Contains(entry.Type) || await FactOfAsync(entry, operations, cancellationToken) is not { } fact)
            {
                continue;
            }

            var since = fact.At - MisuseRules.HistoryWindow;
            var earlier = await operations.Query<AuditEntry>()
                .Where(e => e.ViewerId == fact.ViewerId && e.At > since && e.Id < entry.Id && e.Type.IsOneOf(AccessTypes))
                .OrderBy(e => e.Id)
                .ToListAsync(cancellationToken);
            var history = earlier.Select(e => Fact(e, JsonDocument.Parse(e.Data).RootElement, null)).OfType<ViewFact>().ToList();

            foreach (var draft in MisuseRules.Check(fact, history))
            {
                await RaiseAsync(operations.DocumentStore, draft, entry.Id, cancellationToken);
            }
        }

        return NullChangeListener.Instance;
    }

    /// <summary>
    /// Stores the alert and its event in a session of their own, committed at once: the daemon's
    /// batch commits documents with its progress but is no place to append events. An alert already
    /// stored (a page looked at again after a crash) is not raised twice.
    /// </summary>
    private async Task RaiseAsync(IDocumentStore store, AlertDraft draft, long seq, CancellationToken cancellationToken)
    {
        var id = $"{draft.Rule}-{seq}";
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<MisuseAlert>(id, cancellationToken) is not null)
        {
            return;
        }

        var now = time.GetUtcNow();
        session.Events.StartStream(MisuseAlert.StreamKey(id), new MisuseAlertRaised(
            id, draft.Rule, seq, draft.ViewerId, draft.OfficerId, draft.CameraId, draft.Explanation, "system:audit-monitor", now, Guid.NewGuid()));
        session.Insert(new MisuseAlert(id, draft.Rule, seq, now, draft.ViewerId, draft.OfficerId, draft.CameraId, draft.Explanation));
        await session.SaveChangesAsync(cancellationToken);
        log.LogWarning("Misuse alert {Rule} on entry {Seq}: {Explanation}", draft.Rule, seq, draft.Explanation);
    }

    /// <summary>The fact for an access entry; for an approval or a session, the grant's own decision fills in what it lacks.</summary>
    private static async Task<ViewFact?> FactOfAsync(AuditEntry entry, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var data = JsonDocument.Parse(entry.Data).RootElement;
        JsonElement? decided = null;
        var grantId = EntryData.Text(data, "grantId") ?? (entry.Type == "ViewRequestApproved" ? EntryData.Text(data, "requestId") : null);
        if (grantId is not null)
        {
            var decision = await operations.Query<AuditEntry>()
                .Where(e => e.Subject == grantId && e.Type == "ViewRequestDecided")
                .FirstOrDefaultAsync(cancellationToken);
            decided = decision is null ? null : JsonDocument.Parse(decision.Data).RootElement;
        }

        return Fact(entry, data, decided);
    }

    private static ViewFact? Fact(AuditEntry entry, JsonElement data, JsonElement? decided)
    {
        string? From(string field) => EntryData.Text(data, field) ?? (decided is { } d ? EntryData.Text(d, field) : null);
        var kind = entry.Type switch
        {
            "ViewRequestDecided" => EntryData.Text(data, "decision") switch
            {
                "granted" => ViewKind.Granted,
                "denied" => ViewKind.Refused,
                _ => (ViewKind?)null,
            },
            "ViewRequestApproved" => ViewKind.Granted,
            "ViewerSessionEnded" => ViewKind.SessionEnded,
            _ => null,
        };
        if (kind is null || From("viewerId") is not { } viewer)
        {
            return null;
        }

        TimeSpan? duration = data.TryGetProperty("durationMs", out var ms) && ms.TryGetInt64(out var millis) ? TimeSpan.FromMilliseconds(millis) : null;
        return new ViewFact(entry.Id, kind.Value, entry.At, viewer, From("viewerRole"), From("viewerCommand"), From("officerId"), From("wearerCommand"),
            From("cameraId"), From("purpose"), From("incidentRef"), duration);
    }
}
