using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.Contracts.Audit;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using JasperFx;
using Marten;
using Marten.Subscriptions;

namespace BodyCam.Audit.Monitoring;

/// <summary>
/// A misuse alert as compliance lists it; its history is the stream <c>alert-{id}</c>. One alert per
/// (rule, viewer, wearer): <see cref="Count"/> is how often the rule fired for them, from
/// <see cref="RaisedAt"/> (entry <see cref="FirstSeq"/>) to <see cref="LastSeenAt"/> (entry
/// <see cref="Seq"/>); an acknowledged alert opens again when the rule fires again.
/// </summary>
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
    DateTimeOffset? AcknowledgedAt = null,
    int Count = 1,
    long FirstSeq = 0,
    DateTimeOffset? LastSeenAt = null)
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";

    public static string StreamKey(string id) => $"alert-{id}";

    public static MisuseAlert Create(MisuseAlertRaised e) =>
        new(e.AlertId, e.Rule, e.Seq, e.OccurredAt, e.ViewerId, e.OfficerId, e.CameraId, e.Explanation, FirstSeq: e.Seq, LastSeenAt: e.OccurredAt);

    /// <summary>Raised again: the rule fired after the alert was acknowledged, so it is open again.</summary>
    public MisuseAlert Apply(MisuseAlertRaised e) => this with
    {
        State = Open, AcknowledgedBy = null, Note = null, AcknowledgedAt = null,
        Seq = e.Seq, CameraId = e.CameraId, Explanation = e.Explanation, Count = Count + 1, LastSeenAt = e.OccurredAt,
    };

    public MisuseAlert Apply(MisuseAlertRecurred e) => this with
    {
        Seq = e.LastSeq, CameraId = e.CameraId, Explanation = e.Explanation, Count = Count + e.Count, LastSeenAt = e.OccurredAt,
    };

    public MisuseAlert Apply(MisuseAlertAcknowledged e) => this with { State = Acknowledged, AcknowledgedBy = e.ActorId, Note = e.Note, AcknowledgedAt = e.OccurredAt };

    /// <summary>An alert's state after one more event of its stream (events of other kinds change nothing).</summary>
    public static MisuseAlert? Fold(MisuseAlert? alert, object e) => (alert, e) switch
    {
        (null, MisuseAlertRaised raised) => Create(raised),
        (not null, MisuseAlertRaised raised) => alert.Apply(raised),
        (not null, MisuseAlertRecurred recurred) => alert.Apply(recurred),
        (not null, MisuseAlertAcknowledged acknowledged) => alert.Apply(acknowledged),
        _ => alert,
    };

    /// <summary>
    /// The alert a rule's finding about a viewer and a wearer (the officer, else the camera) belongs
    /// to: the rule's name and a digest of the two, so ids stay short, fixed and safe in a URL.
    /// </summary>
    public static string IdFor(string rule, string viewerId, string? officerId, string? cameraId)
    {
        var key = Encoding.UTF8.GetBytes($"{viewerId}\n{officerId ?? cameraId ?? "-"}");
        return $"{rule}-{Convert.ToHexStringLower(SHA256.HashData(key))[..16]}";
    }
}

/// <summary>
/// Runs the misuse rules over the audit chain as it grows: a Marten subscription on the chain's
/// events, so every entry is looked at once, in order, even across restarts (the daemon keeps its
/// place). Findings merge into one alert per rule, viewer and wearer, which remembers the last entry
/// it counted, so a page looked at twice counts nothing twice. Alerts are stored and published like
/// any fact, and so enter the chain.
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
    /// Stores a page's findings in a session of its own, committed at once: the daemon's batch
    /// commits documents with its progress but is no place to append events. Findings merge into one
    /// alert per (rule, viewer, wearer): a new alert is raised, an open one counts them
    /// (<see cref="MisuseAlertRecurred"/>, one per alert per page), an acknowledged one is raised
    /// again. A finding at or before the alert's last entry was counted already (a page looked at
    /// again after a crash), so nothing is counted twice.
    /// </summary>
    private async Task RaiseAsync(IDocumentStore store, IReadOnlyList<(AlertDraft Draft, long Seq)> raised, CancellationToken cancellationToken)
    {
        if (raised.Count == 0)
        {
            return;
        }

        // An acknowledgement stored meanwhile (optimistic concurrency on the alert) means reading again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await MergeAsync(store, raised, cancellationToken);
                return;
            }
            catch (ConcurrencyException) when (attempt < 5)
            {
                log.LogInformation("A misuse alert changed while the monitor merged findings into it; merging again");
            }
        }
    }

    private async Task MergeAsync(IDocumentStore store, IReadOnlyList<(AlertDraft Draft, long Seq)> raised, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var groups = raised.GroupBy(r => MisuseAlert.IdFor(r.Draft.Rule, r.Draft.ViewerId, r.Draft.OfficerId, r.Draft.CameraId)).ToList();
        var stored = (await session.LoadManyAsync<MisuseAlert>(cancellationToken, groups.Select(g => g.Key).ToArray())).ToDictionary(a => a.Id);
        var now = time.GetUtcNow();
        foreach (var group in groups)
        {
            var id = group.Key;
            var current = stored.GetValueOrDefault(id);
            var fresh = group.Where(r => current is null || r.Seq > current.Seq).OrderBy(r => r.Seq).ToList();
            if (fresh.Count == 0)
            {
                continue;
            }

            var (first, last) = (fresh[0], fresh[^1]);
            var events = new List<object>(2);
            var recurring = fresh;
            if (current is null or { State: MisuseAlert.Acknowledged })
            {
                events.Add(new MisuseAlertRaised(id, first.Draft.Rule, first.Seq, first.Draft.ViewerId, first.Draft.OfficerId, first.Draft.CameraId,
                    first.Draft.Explanation, "system:audit-monitor", now, Guid.NewGuid()));
                recurring = fresh[1..];
                log.LogWarning("Misuse alert {AlertId} ({Rule}) {Raised} on entry {Seq}: {Explanation}",
                    id, first.Draft.Rule, current is null ? "raised" : "raised again", first.Seq, first.Draft.Explanation);
            }

            if (recurring.Count > 0)
            {
                events.Add(new MisuseAlertRecurred(id, first.Draft.Rule, recurring[0].Seq, last.Seq, recurring.Count, last.Draft.ViewerId, last.Draft.OfficerId,
                    last.Draft.CameraId, last.Draft.Explanation, "system:audit-monitor", now, Guid.NewGuid()));
            }

            if (current is null)
            {
                session.Events.StartStream(MisuseAlert.StreamKey(id), events);
            }
            else
            {
                session.Events.Append(MisuseAlert.StreamKey(id), events);
            }

            session.Store(events.Aggregate(current, MisuseAlert.Fold)!);
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
