using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BodyCam.Audit.Chain;

namespace BodyCam.Audit.Transparency;

/// <summary>
/// One published figure: a count or a time in seconds for a scope (the force, or one command), the
/// whole month (<see cref="Week"/> null) or one week of it, and optionally one part of a measure
/// (<see cref="Breakdown"/>: a rule, a purpose, a policy version). A count from 1 to threshold - 1 is
/// <see cref="Suppressed"/>: its <see cref="Value"/> is null and <see cref="Display"/> says
/// "fewer than 5". Times are suppressed when they rest on fewer views than the threshold.
/// </summary>
public sealed record Figure(string Scope, string? Week, string Measure, string? Breakdown, double? Value, bool Suppressed, string Display);

/// <summary>A policy version decisions were made under in the month, and the day (local) of the first decision under it.</summary>
public sealed record PolicyVersionInForce(string Version, DateOnly? FirstUsedOn, bool InForceAtStart);

/// <summary>
/// Computes the transparency figures from audit's own entries, and nothing else. A pure function:
/// the same entries give the same figures. No identifier, name, place or free text from an entry
/// reaches a figure: scopes are command names, breakdowns are the policy's rule and purpose names and
/// policy versions, each checked against a strict shape, and anything else is counted as "other".
/// </summary>
public static partial class TransparencyFigures
{
    public const string Force = "force";
    public const string NoCommand = "no command recorded";
    public const string OtherPurpose = "other (not a listed purpose)";
    public const string Other = "other";

    /// <summary>How long after a Watch Me a live view still counts as the response to it.</summary>
    public static readonly TimeSpan WatchMeResponseWindow = TimeSpan.FromMinutes(30);

    /// <summary>The measures, in the order the report shows them, with what each counts (docs/transparency.md has the same list).</summary>
    public static readonly IReadOnlyList<(string Measure, string Label, bool Seconds)> Measures =
    [
        ("requests", "Requests to watch live (by purpose)", false),
        ("views-granted", "Granted at once by the policy", false),
        ("views-refused", "Refused by the policy (by rule)", false),
        ("views-pending", "Sent to a second person to approve", false),
        ("pending-approved", "Approved by a second person", false),
        ("pending-refused", "Refused by a second person", false),
        ("views-with-incident-reference", "Granted views with an incident reference", false),
        ("viewer-sessions", "Live views watched", false),
        ("view-duration-median-seconds", "Time watched, median", true),
        ("view-duration-p95-seconds", "Time watched, 95th percentile", true),
        ("watch-me-presses", "Watch Me presses", false),
        ("watch-me-watched", "Watch Me presses watched within 30 minutes", false),
        ("watch-me-seconds-to-watch-median", "Time from Watch Me to a live view, median", true),
        ("watch-me-seconds-to-watch-p95", "Time from Watch Me to a live view, 95th percentile", true),
        ("misuse-alerts-raised", "Misuse alerts raised (by rule)", false),
        ("misuse-alerts-acknowledged", "Misuse alerts looked into and closed (by rule)", false),
        ("decisions-under-policy", "Decisions under each policy version", false),
    ];

    /// <summary>The audit entry types the report reads.</summary>
    public static readonly string[] Types =
    [
        "CameraAssigned", "ViewRequestDecided", "ViewRequestApproved", "ViewRequestRefused", "ViewerSessionStarted", "ViewerSessionEnded",
        "WatchMeRequested", "MisuseAlertRaised", "MisuseAlertAcknowledged",
    ];

    public static (IReadOnlyList<Figure> Figures, IReadOnlyList<PolicyVersionInForce> Policies, IReadOnlyList<string> Commands) Compute(
        ReportPeriod period, IEnumerable<AuditEntry> entries, int threshold, TimeZoneInfo zone)
    {
        var facts = Read(entries.OrderBy(e => e.Id));
        var rows = new List<Row>();
        foreach (var d in facts.Decisions.Where(d => period.Contains(d.At)))
        {
            rows.Add(new(d.At, d.Command, "requests", d.Purpose));
            rows.Add(new(d.At, d.Command, "decisions-under-policy", d.PolicyVersion));
            switch (d.Outcome)
            {
                case "granted":
                    rows.Add(new(d.At, d.Command, "views-granted", null));
                    if (d.HasIncident)
                    {
                        rows.Add(new(d.At, d.Command, "views-with-incident-reference", null));
                    }

                    break;
                case "pending":
                    rows.Add(new(d.At, d.Command, "views-pending", null));
                    break;
                default:
                    rows.Add(new(d.At, d.Command, "views-refused", d.Rule));
                    break;
            }
        }

        foreach (var a in facts.SecondPerson.Where(a => period.Contains(a.At)))
        {
            rows.Add(new(a.At, a.Command, a.Approved ? "pending-approved" : "pending-refused", null));
            if (a.Approved && a.HasIncident)
            {
                rows.Add(new(a.At, a.Command, "views-with-incident-reference", null));
            }
        }

        var durations = new List<Timed>();
        foreach (var s in facts.SessionsEnded.Where(s => period.Contains(s.At)))
        {
            rows.Add(new(s.At, s.Command, "viewer-sessions", null));
            durations.Add(new(s.At, s.Command, s.Seconds));
        }

        var responses = new List<Timed>();
        var startsByCamera = facts.SessionsStarted.ToLookup(s => s.CameraId, s => s.At, StringComparer.Ordinal);
        foreach (var press in facts.WatchMe.Where(w => period.Contains(w.At)))
        {
            rows.Add(new(press.At, press.Command, "watch-me-presses", null));
            var watched = startsByCamera[press.CameraId]
                .Where(at => at >= press.At && at - press.At <= WatchMeResponseWindow)
                .Select(at => (DateTimeOffset?)at)
                .Min();
            if (watched is { } at)
            {
                rows.Add(new(press.At, press.Command, "watch-me-watched", null));
                responses.Add(new(press.At, press.Command, (at - press.At).TotalSeconds));
            }
        }

        foreach (var alert in facts.Alerts.Where(a => period.Contains(a.At)))
        {
            rows.Add(new(alert.At, alert.Command, alert.Acknowledged ? "misuse-alerts-acknowledged" : "misuse-alerts-raised", alert.Rule));
        }

        var commands = rows.Select(r => r.Command).Concat(durations.Select(d => d.Command)).Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).ToList();
        var figures = new List<Figure>();
        foreach (var scope in commands.Prepend(Force))
        {
            bool InScope(string command) => scope == Force || command == scope;
            foreach (var week in period.Weeks.Select(w => (ReportWeek?)w).Prepend(null))
            {
                bool InSlice(DateTimeOffset at) => week is null || week.Contains(at);
                // Each row is looked at once per scope and slice, then found by measure.
                var slice = rows.Where(r => InScope(r.Command) && InSlice(r.At)).ToLookup(r => r.Measure, StringComparer.Ordinal);
                foreach (var (measure, _, seconds) in Measures)
                {
                    if (seconds)
                    {
                        var source = measure.StartsWith("watch-me", StringComparison.Ordinal) ? responses : durations;
                        var values = source.Where(t => InScope(t.Command) && InSlice(t.At)).Select(t => t.Seconds).ToList();
                        figures.Add(Time(scope, week?.Name, measure, values, measure.Contains("-p95", StringComparison.Ordinal) ? 95 : 50, threshold));
                        continue;
                    }

                    var counted = slice[measure].ToList();
                    figures.Add(Count(scope, week?.Name, measure, null, counted.Count, threshold));
                    if (measure is "requests" or "views-refused" or "misuse-alerts-raised" or "misuse-alerts-acknowledged" or "decisions-under-policy")
                    {
                        foreach (var part in counted.GroupBy(r => r.Breakdown ?? Other).OrderBy(g => g.Key, StringComparer.Ordinal))
                        {
                            figures.Add(Count(scope, week?.Name, measure, part.Key, part.Count(), threshold));
                        }
                    }
                }
            }
        }

        return (figures, Policies(period, facts.Decisions, zone), commands);
    }

    /// <summary>The nearest-rank percentile: the smallest value with at least <paramref name="percent"/>% of values at or below it.</summary>
    public static double Percentile(IReadOnlyList<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    public static string FewerThan(int threshold) => $"fewer than {threshold}";

    private static Figure Count(string scope, string? week, string measure, string? breakdown, int count, int threshold) =>
        count > 0 && count < threshold
            ? new Figure(scope, week, measure, breakdown, null, true, FewerThan(threshold))
            : new Figure(scope, week, measure, breakdown, count, false, count.ToString("N0", CultureInfo.InvariantCulture));

    private static Figure Time(string scope, string? week, string measure, List<double> values, int percent, int threshold)
    {
        if (values.Count == 0)
        {
            return new Figure(scope, week, measure, null, null, false, "none");
        }

        if (values.Count < threshold)
        {
            return new Figure(scope, week, measure, null, null, true, $"not shown: {FewerThan(threshold)} views");
        }

        var seconds = Math.Round(Percentile(values, percent));
        return new Figure(scope, week, measure, null, seconds, false, Duration(seconds));
    }

    public static string Duration(double seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
            : span.TotalMinutes >= 1 ? $"{span.Minutes} min {span.Seconds} s"
            : $"{span.Seconds} s";
    }

    private static List<PolicyVersionInForce> Policies(ReportPeriod period, IReadOnlyList<DecisionFact> decisions, TimeZoneInfo zone)
    {
        var atStart = decisions.LastOrDefault(d => d.At < period.From)?.PolicyVersion;
        var inPeriod = decisions.Where(d => period.Contains(d.At)).ToList();
        var versions = new List<PolicyVersionInForce>();
        if (atStart is not null)
        {
            versions.Add(new PolicyVersionInForce(atStart, null, true));
        }

        foreach (var first in inPeriod.GroupBy(d => d.PolicyVersion).Select(g => g.First()).OrderBy(d => d.At))
        {
            if (first.PolicyVersion != atStart)
            {
                versions.Add(new PolicyVersionInForce(first.PolicyVersion, DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(first.At, zone).DateTime), false));
            }
        }

        return versions;
    }

    private static Facts Read(IEnumerable<AuditEntry> entries)
    {
        var assignments = new Dictionary<string, List<(DateTimeOffset At, string Command)>>(StringComparer.Ordinal);
        var requests = new Dictionary<string, DecisionFact>(StringComparer.Ordinal);
        var alertCommands = new Dictionary<string, (string Command, string Rule)>(StringComparer.Ordinal);
        var facts = new Facts();

        string CommandOf(string? cameraId, DateTimeOffset at) =>
            cameraId is not null && assignments.TryGetValue(cameraId, out var list) && list.LastOrDefault(a => a.At <= at) is { Command: { } command }
                ? command
                : NoCommand;

        foreach (var entry in entries)
        {
            var data = JsonDocument.Parse(entry.Data).RootElement;
            switch (entry.Type)
            {
                case "CameraAssigned" when data.Text("cameraId") is { } camera:
                    if (!assignments.TryGetValue(camera, out var list))
                    {
                        assignments[camera] = list = [];
                    }

                    list.Add((entry.At, Command(data.Text("command"))));
                    break;
                case "ViewRequestDecided":
                    var decision = new DecisionFact(entry.At, data.Text("requestId") ?? entry.Subject, data.Text("decision") ?? "",
                        data.Text("wearerCommand") is { } wearer ? Command(wearer) : CommandOf(data.Text("cameraId"), entry.At),
                        Purpose(data.Text("purpose"), data.Text("rule")), Name(data.Text("rule")), !string.IsNullOrWhiteSpace(data.Text("incidentRef")),
                        Name(data.Text("policyVersion")));
                    requests.TryAdd(decision.RequestId, decision);
                    facts.Decisions.Add(decision);
                    break;
                case "ViewRequestApproved" or "ViewRequestRefused":
                    var request = data.Text("requestId");
                    var command = request is not null && requests.TryGetValue(request, out var asked) ? asked.Command : CommandOf(data.Text("cameraId"), entry.At);
                    facts.SecondPerson.Add(new(entry.At, command, entry.Type == "ViewRequestApproved", !string.IsNullOrWhiteSpace(data.Text("incidentRef"))));
                    break;
                case "ViewerSessionStarted" when data.Text("cameraId") is { } camera:
                    facts.SessionsStarted.Add((entry.At, camera));
                    break;
                case "ViewerSessionEnded":
                    var grant = data.Text("grantId");
                    var millis = data.TryGetProperty("durationMs", out var ms) && ms.TryGetInt64(out var value) ? value : 0;
                    facts.SessionsEnded.Add(new(entry.At,
                        grant is not null && requests.TryGetValue(grant, out var granted) ? granted.Command : CommandOf(data.Text("cameraId"), entry.At),
                        Math.Max(0, millis) / 1000.0));
                    break;
                case "WatchMeRequested" when data.Text("cameraId") is { } camera:
                    facts.WatchMe.Add(new(entry.At, camera, CommandOf(camera, entry.At)));
                    break;
                case "MisuseAlertRaised":
                    var raised = (CommandOf(data.Text("cameraId"), entry.At), Name(data.Text("rule")));
                    if (data.Text("alertId") is { } alertId)
                    {
                        alertCommands.TryAdd(alertId, raised);
                    }

                    facts.Alerts.Add(new(entry.At, raised.Item1, raised.Item2, false));
                    break;
                case "MisuseAlertAcknowledged":
                    var (alertCommand, rule) = data.Text("alertId") is { } acked && alertCommands.TryGetValue(acked, out var known)
                        ? known
                        : (CommandOf(data.Text("cameraId"), entry.At), Name(data.Text("rule")));
                    facts.Alerts.Add(new(entry.At, alertCommand, rule, true));
                    break;
            }
        }

        return facts;
    }

    /// <summary>A policy name (rule, purpose, version) as published: a short lower-case slug, or "other".</summary>
    private static string Name(string? value) => value is not null && Slug().IsMatch(value) ? value : Other;

    private static string Purpose(string? purpose, string? rule) =>
        rule == "unknown-purpose" || purpose is null || !Slug().IsMatch(purpose) ? OtherPurpose : purpose;

    /// <summary>A command as published: a short name of letters, digits, spaces and hyphens, or "other command".</summary>
    private static string Command(string? value) =>
        string.IsNullOrWhiteSpace(value) ? NoCommand : CommandName().IsMatch(value) ? value : "other command";

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex Slug();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9 -]{0,39}$")]
    private static partial Regex CommandName();

    private sealed record Row(DateTimeOffset At, string Command, string Measure, string? Breakdown);

    private sealed record Timed(DateTimeOffset At, string Command, double Seconds);

    private sealed record DecisionFact(DateTimeOffset At, string RequestId, string Outcome, string Command, string Purpose, string Rule, bool HasIncident, string PolicyVersion);

    private sealed record SecondPersonFact(DateTimeOffset At, string Command, bool Approved, bool HasIncident);

    private sealed record SessionFact(DateTimeOffset At, string Command, double Seconds);

    private sealed record WatchMeFact(DateTimeOffset At, string CameraId, string Command);

    private sealed record AlertFact(DateTimeOffset At, string Command, string Rule, bool Acknowledged);

    private sealed class Facts
    {
        public List<DecisionFact> Decisions { get; } = [];
        public List<SecondPersonFact> SecondPerson { get; } = [];
        public List<(DateTimeOffset At, string CameraId)> SessionsStarted { get; } = [];
        public List<SessionFact> SessionsEnded { get; } = [];
        public List<WatchMeFact> WatchMe { get; } = [];
        public List<AlertFact> Alerts { get; } = [];
    }
}
