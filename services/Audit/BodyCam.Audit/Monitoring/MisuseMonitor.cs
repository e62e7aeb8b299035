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
/// Each viewer's month of facts is kept in memory once read (from the query documents, the first
/// time the viewer is seen after a start), so a page costs two queries, whatever its size, and
/// one more for each viewer not seen before.
/// </summary>
public sealed class MisuseMonitor(TimeProvider time, ILogger<MisuseMonitor> log) : SubscriptionBase
{
    private static readonly string[] AccessTypes = ["ViewRequestDecided", "ViewRequestApproved", "ViewerSessionEnded"];

    private readonly Dictionary<string, ViewerHistory> _viewers = [];

    public override async Task<IChangeListener> ProcessEventsAsync(
        EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var entries = page.Events.Select(e => e.Data).OfType<ChainLinked>().Select(l => l.Entry)
            .Where(e => AccessTypes.Contains(e.Type)).ToList();
        if (entries.Count == 0)
        {
            return NullChangeListener.Instance;
        }

        var facts = await FactsOfAsync(entries, operations, cancellationToken);
        await RecallAsync(facts.Select(f => f.ViewerId).Distinct().Where(v => !_viewers.ContainsKey(v)).ToList(), entries[0], operations, cancellationToken);
        var raised = new List<(AlertDraft Draft, long Seq)>();
        foreach (var fact in facts)
        {
            var history = _viewers[fact.ViewerId];
            history.Forget(fact.At - MisuseRules.HistoryWindow);
            raised.AddRange(MisuseRules.Check(fact, history).Select(draft => (draft, fact.Seq)));
            history.Add(fact);
        }

        await RaiseAsync(operations.DocumentStore, raised, cancellationToken);
        return NullChangeListener.Instance;
    }

    /// <summary>Reads the month of facts before <paramref name="first"/> (at most <see cref="ViewerHistory.MaxFacts"/>, the newest) of each viewer this monitor has not seen since it started.</summary>
    private async Task RecallAsync(IReadOnlyList<string> viewers, AuditEntry first, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var since = first.At - MisuseRules.HistoryWindow - ViewerHistory.Slack;
        foreach (var viewer in viewers)
        {
            var earlier = await operations.Query<AuditEntry>()
                .Where(e => e.ViewerId == viewer && e.At > since && e.Id < first.Id && e.Type.IsOneOf(AccessTypes))
                .OrderByDescending(e => e.Id)
                .Take(ViewerHistory.MaxFacts)
                .ToListAsync(cancellationToken);
            earlier.Reverse();
            var history = new ViewerHistory();
            foreach (var fact in await FactsOfAsync(earlier, operations, cancellationToken))
            {
                history.Add(fact);
            }

            _viewers[viewer] = history;
        }
    }

    /// <summary>
    /// The facts of access entries, in order; an approval or a session gets what it lacks from its
    /// grant's own decision (found in the same entries, or else all in one query).
    /// </summary>
    private static async Task<List<ViewFact>> FactsOfAsync(IReadOnlyList<AuditEntry> entries, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var parsed = entries.Select(e => (Entry: e, Data: JsonDocument.Parse(e.Data).RootElement)).ToList();
        var decisions = parsed.Where(p => p.Entry.Type == "ViewRequestDecided").GroupBy(p => p.Entry.Subject).ToDictionary(g => g.Key, g => g.First().Data);
        var grants = parsed.Select(p => GrantOf(p.Entry, p.Data)).OfType<string>().Where(g => !decisions.ContainsKey(g)).Distinct().ToArray();
        if (grants.Length > 0)
        {
            var found = await operations.Query<AuditEntry>()
                .Where(e => e.Subject.IsOneOf(grants) && e.Type == "ViewRequestDecided")
                .ToListAsync(cancellationToken);
            foreach (var decision in found)
            {
                decisions.TryAdd(decision.Subject, JsonDocument.Parse(decision.Data).RootElement);
            }
        }

        return [.. parsed.Select(p => Fact(p.Entry, p.Data, GrantOf(p.Entry, p.Data) is { } grant && decisions.TryGetValue(grant, out var d) ? d : null)).OfType<ViewFact>()];
    }

    private static string? GrantOf(AuditEntry entry, JsonElement data) =>
        entry.Type == "ViewRequestDecided" ? null : EntryData.Text(data, "grantId") ?? (entry.Type == "ViewRequestApproved" ? EntryData.Text(data, "requestId") : null);

    /// <summary>
    /// Stores a page's alerts and their events in a session of their own, committed at once: the
    /// daemon's batch commits documents with its progress but is no place to append events. An alert
    /// already stored (a page looked at again after a crash) is not raised twice.
    /// </summary>
    private async Task RaiseAsync(IDocumentStore store, IReadOnlyList<(AlertDraft Draft, long Seq)> raised, CancellationToken cancellationToken)
    {
        if (raised.Count == 0)
        {
            return;
        }

        await using var session = store.LightweightSession();
        var alerts = raised.Select(r => (r.Draft, r.Seq, Id: $"{r.Draft.Rule}-{r.Seq}")).ToList();
        var stored = (await session.LoadManyAsync<MisuseAlert>(cancellationToken, alerts.Select(a => a.Id).ToArray())).Select(a => a.Id).ToHashSet();
        var now = time.GetUtcNow();
        foreach (var (draft, seq, id) in alerts.Where(a => !stored.Contains(a.Id)))
        {
            session.Events.StartStream(MisuseAlert.StreamKey(id), new MisuseAlertRaised(
                id, draft.Rule, seq, draft.ViewerId, draft.OfficerId, draft.CameraId, draft.Explanation, "system:audit-monitor", now, Guid.NewGuid()));
            session.Insert(new MisuseAlert(id, draft.Rule, seq, now, draft.ViewerId, draft.OfficerId, draft.CameraId, draft.Explanation));
            log.LogWarning("Misuse alert {Rule} on entry {Seq}: {Explanation}", draft.Rule, seq, draft.Explanation);
        }

        await session.SaveChangesAsync(cancellationToken);
    }

    private static ViewFact? Fact(AuditEntry entry, JsonElement data, JsonElement? decided)
    {
        string? From(string field) => EntryData.Text(data, field) ?? (decided is { } d ? EntryData.Text(d, field) : null);
        // Held for a month per viewer: the few distinct viewers, roles, commands and purposes are shared, not copied.
        string? Shared(string field) => From(field) is { } value ? string.Intern(value) : null;
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
        if (kind is null || Shared("viewerId") is not { } viewer)
        {
            return null;
        }

        TimeSpan? duration = data.TryGetProperty("durationMs", out var ms) && ms.TryGetInt64(out var millis) ? TimeSpan.FromMilliseconds(millis) : null;
        return new ViewFact(entry.Id, kind.Value, entry.At, viewer, Shared("viewerRole"), Shared("viewerCommand"), From("officerId"), Shared("wearerCommand"),
            From("cameraId"), Shared("purpose"), From("incidentRef"), duration);
    }
}
