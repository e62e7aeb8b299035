namespace BodyCam.Audit.Monitoring;

/// <summary>What a viewer did, as the misuse rules see it: a view granted or refused, or a viewing session that ended.</summary>
public enum ViewKind
{
    Granted,
    Refused,
    SessionEnded,
}

/// <summary>One access fact from the audit chain, reduced to what the rules read.</summary>
public sealed record ViewFact(
    long Seq,
    ViewKind Kind,
    DateTimeOffset At,
    string ViewerId,
    string? ViewerRole,
    string? ViewerCommand,
    string? OfficerId,
    string? WearerCommand,
    string? CameraId,
    string? Purpose,
    string? IncidentRef,
    TimeSpan? Duration = null);

/// <summary>An alert a rule raises: its rule, whom it is about, and why in plain words.</summary>
public sealed record AlertDraft(string Rule, string ViewerId, string? OfficerId, string? CameraId, string Explanation);

/// <summary>
/// A misuse rule: looks at one new access fact beside the same viewer's earlier facts (the last 30
/// days) and raises an alert or not. Rules are pure: the monitor feeds them, stores the alerts and
/// makes them facts.
/// </summary>
public interface IMisuseRule
{
    string Id { get; }

    AlertDraft? Check(ViewFact fact, ViewerHistory history);
}

/// <summary>The rules in force, each with its id (<c>docs/decisions.md</c> says why each threshold).</summary>
public static class MisuseRules
{
    public static readonly TimeSpan HistoryWindow = TimeSpan.FromDays(30);

    public static readonly IReadOnlyList<IMisuseRule> All =
    [
        new NoIncidentReference(),
        new RepeatedViewing(),
        new LongSession(),
        new OddHours(),
        new RefusalBurst(),
        new OutsideCommand(),
    ];

    public static IEnumerable<AlertDraft> Check(ViewFact fact, ViewerHistory history) =>
        All.Select(rule => rule.Check(fact, history)).OfType<AlertDraft>();
}

/// <summary>A view granted with no incident reference, for a purpose other than officer safety or answering a Watch Me.</summary>
public sealed class NoIncidentReference : IMisuseRule
{
    private static readonly HashSet<string> Exempt = ["officer-safety", "watch-me-response"];

    public string Id => "no-incident-reference";

    public AlertDraft? Check(ViewFact fact, ViewerHistory history) =>
        fact is { Kind: ViewKind.Granted, IncidentRef: null or "" } && fact.Purpose is { } purpose && !Exempt.Contains(purpose)
            ? new AlertDraft(Id, fact.ViewerId, fact.OfficerId, fact.CameraId,
                $"{fact.ViewerId} was granted a view of {Whom(fact)} for '{purpose}' with no incident reference; only officer safety and Watch Me responses go without one.")
            : null;

    internal static string Whom(ViewFact fact) => fact.OfficerId is { } officer ? $"officer {officer}" : $"camera {fact.CameraId}";
}

/// <summary>The same viewer watching the same officer three or more times within 24 hours (raised at the third, sixth, …).</summary>
public sealed class RepeatedViewing : IMisuseRule
{
    public const int Times = 3;
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    public string Id => "repeated-viewing";

    public AlertDraft? Check(ViewFact fact, ViewerHistory history)
    {
        if (fact is not { Kind: ViewKind.Granted, OfficerId: { } officer })
        {
            return null;
        }

        var count = 1 + history.Within(officer, fact.Seq, fact.At, Window).Count(h => h.Kind == ViewKind.Granted);
        return count >= Times && count % Times == 0
            ? new AlertDraft(Id, fact.ViewerId, officer, fact.CameraId, $"{fact.ViewerId} has been granted views of officer {officer} {count} times in 24 hours.")
            : null;
    }
}

/// <summary>A viewing session far longer than its purpose needs.</summary>
public sealed class LongSession : IMisuseRule
{
    /// <summary>How long each purpose can reasonably need; beyond it is "far longer".</summary>
    public static readonly IReadOnlyDictionary<string, TimeSpan> Limits = new Dictionary<string, TimeSpan>
    {
        ["officer-safety"] = TimeSpan.FromMinutes(30),
        ["watch-me-response"] = TimeSpan.FromMinutes(30),
        ["welfare"] = TimeSpan.FromMinutes(20),
        ["evidence-advice"] = TimeSpan.FromMinutes(45),
        ["resource-deployment"] = TimeSpan.FromMinutes(90),
        ["incident-command"] = TimeSpan.FromHours(3),
    };

    public string Id => "long-session";

    public AlertDraft? Check(ViewFact fact, ViewerHistory history) =>
        fact is { Kind: ViewKind.SessionEnded, Duration: { } duration, Purpose: { } purpose }
        && Limits.TryGetValue(purpose, out var limit) && duration > limit
            ? new AlertDraft(Id, fact.ViewerId, fact.OfficerId, fact.CameraId,
                $"{fact.ViewerId} watched {NoIncidentReference.Whom(fact)} for {duration.TotalMinutes:0} minutes for '{purpose}', which should need at most {limit.TotalMinutes:0}.")
            : null;
}

/// <summary>
/// A view at an hour the viewer does not work: with at least ten earlier views in 30 days to know
/// their hours by, none of them within two hours (UK time) of this one.
/// </summary>
public sealed class OddHours : IMisuseRule
{
    public const int KnownAfter = 10;
    public string Id => "odd-hours";

    public AlertDraft? Check(ViewFact fact, ViewerHistory history)
    {
        if (fact.Kind != ViewKind.Granted)
        {
            return null;
        }

        var earlier = history.GrantedCount;
        if (earlier < KnownAfter || history.GrantedNearHourOf(fact.At, 2))
        {
            return null;
        }

        return new AlertDraft(Id, fact.ViewerId, fact.OfficerId, fact.CameraId,
            $"{fact.ViewerId} was granted a view at {ViewerHistory.UkTime(fact.At):HH:mm} UK time; none of their {earlier} views in 30 days was within two hours of that.");
    }
}

/// <summary>Five or more refused requests by one viewer within ten minutes (raised at the fifth, tenth, …).</summary>
public sealed class RefusalBurst : IMisuseRule
{
    public const int Times = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    public string Id => "refusal-burst";

    public AlertDraft? Check(ViewFact fact, ViewerHistory history)
    {
        if (fact.Kind != ViewKind.Refused)
        {
            return null;
        }

        var count = 1 + history.Within(fact.Seq, fact.At, Window).Count(h => h.Kind == ViewKind.Refused);
        return count >= Times && count % Times == 0
            ? new AlertDraft(Id, fact.ViewerId, fact.OfficerId, fact.CameraId, $"{fact.ViewerId} has had {count} view requests refused in 10 minutes.")
            : null;
    }
}

/// <summary>A view granted of an officer in another command than the viewer's own.</summary>
public sealed class OutsideCommand : IMisuseRule
{
    public string Id => "outside-command";

    public AlertDraft? Check(ViewFact fact, ViewerHistory history) =>
        fact is { Kind: ViewKind.Granted, ViewerCommand: { } mine, WearerCommand: { } theirs } && mine != theirs
            ? new AlertDraft(Id, fact.ViewerId, fact.OfficerId, fact.CameraId,
                $"{fact.ViewerId} (command {mine}) was granted a view of {NoIncidentReference.Whom(fact)} in command {theirs}.")
            : null;
}
