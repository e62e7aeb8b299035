using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.Audit.Transparency;
using BodyCam.Contracts;
using BodyCam.Contracts.Access;
using BodyCam.Contracts.Audit;
using BodyCam.Contracts.Cameras;
using BodyCam.Contracts.Streaming;
using Xunit;

namespace BodyCam.Audit.Tests;

/// <summary>
/// A month of simulated facts (November 2026, three busy commands and one with only three refusals)
/// goes through the report, and every figure is checked against counts the test makes itself, with
/// plain loops over the facts it generated.
/// </summary>
public sealed class TransparencyFiguresTests
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    private static readonly ReportPeriod November = Parse("2026-11");
    private static readonly string[] Commands = ["North", "South", "East"];
    private static readonly string[] Purposes = ["officer-safety", "incident-command", "resource-deployment", "welfare", "watch-me-response"];

    private readonly List<AuditEntry> _entries = [];
    private readonly Random _random = new(20261101);
    private readonly Dictionary<string, string> _commandOfCamera = [];
    private readonly List<Request> _requests = [];
    private readonly List<(DateTimeOffset At, string Command, bool Approved, bool Incident)> _secondPerson = [];
    private readonly List<(DateTimeOffset At, string Camera)> _sessionStarts = [];
    private readonly List<(DateTimeOffset At, string Command, double Seconds)> _sessionEnds = [];
    private readonly List<(DateTimeOffset At, string Camera, string Command)> _presses = [];
    private readonly List<(DateTimeOffset At, string Command, string Rule, bool Acked)> _alerts = [];

    /// <summary>Every identifier and free text the simulation made: none may appear in what is published.</summary>
    private readonly HashSet<string> _secrets = [];

    private sealed record Request(DateTimeOffset At, string Id, string Camera, string Command, string Purpose, string Decision, string Rule, bool Incident, string Policy);

    public TransparencyFiguresTests() => Simulate();

    private static ReportPeriod Parse(string month) =>
        ReportPeriod.TryParse(month, London, out var period) ? period : throw new InvalidOperationException(month);

    [Fact]
    public void Every_force_wide_figure_matches_the_tests_own_count()
    {
        var (figures, _, _) = Compute();
        var month = _requests.Where(r => In(r.At)).ToList();

        Assert.Equal(month.Count, Value(figures, "force", "requests"));
        Assert.Equal(month.Count(r => r.Decision == "granted"), Value(figures, "force", "views-granted"));
        Assert.Equal(month.Count(r => r.Decision == "denied"), Value(figures, "force", "views-refused"));
        Assert.Equal(month.Count(r => r.Decision == "pending"), Value(figures, "force", "views-pending"));
        foreach (var rule in month.Where(r => r.Decision == "denied").Select(r => r.Rule).Distinct())
        {
            Assert.Equal(month.Count(r => r.Decision == "denied" && r.Rule == rule), Value(figures, "force", "views-refused", breakdown: rule));
        }

        foreach (var purpose in month.Select(r => r.Purpose).Distinct())
        {
            var expected = month.Count(r => r.Purpose == purpose);
            var shown = purpose == "typed by hand" ? TransparencyFigures.OtherPurpose : purpose;
            Assert.Equal(expected, Value(figures, "force", "requests", breakdown: shown));
        }

        Assert.Equal(_secondPerson.Count(a => In(a.At) && a.Approved), Value(figures, "force", "pending-approved"));
        Assert.Equal(_secondPerson.Count(a => In(a.At) && !a.Approved), Value(figures, "force", "pending-refused"));
        Assert.Equal(month.Count(r => r.Decision == "granted" && r.Incident) + _secondPerson.Count(a => In(a.At) && a.Approved && a.Incident),
            Value(figures, "force", "views-with-incident-reference"));

        var durations = _sessionEnds.Where(s => In(s.At)).Select(s => s.Seconds).ToList();
        Assert.Equal(durations.Count, Value(figures, "force", "viewer-sessions"));
        Assert.Equal(Math.Round(NearestRank(durations, 0.5)), Value(figures, "force", "view-duration-median-seconds"));
        Assert.Equal(Math.Round(NearestRank(durations, 0.95)), Value(figures, "force", "view-duration-p95-seconds"));

        var presses = _presses.Where(p => In(p.At)).ToList();
        var waits = new List<double>();
        foreach (var press in presses)
        {
            DateTimeOffset? first = null;
            foreach (var start in _sessionStarts)
            {
                if (start.Camera == press.Camera && start.At >= press.At && start.At <= press.At.AddMinutes(30) && (first is null || start.At < first))
                {
                    first = start.At;
                }
            }

            if (first is { } at)
            {
                waits.Add((at - press.At).TotalSeconds);
            }
        }

        Assert.Equal(presses.Count, Value(figures, "force", "watch-me-presses"));
        Assert.Equal(waits.Count, Value(figures, "force", "watch-me-watched"));
        Assert.Equal(Math.Round(NearestRank(waits, 0.5)), Value(figures, "force", "watch-me-seconds-to-watch-median"));
        Assert.Equal(Math.Round(NearestRank(waits, 0.95)), Value(figures, "force", "watch-me-seconds-to-watch-p95"));

        Assert.Equal(_alerts.Count(a => In(a.At) && !a.Acked), Value(figures, "force", "misuse-alerts-raised"));
        Assert.Equal(_alerts.Count(a => In(a.At) && a.Acked), Value(figures, "force", "misuse-alerts-acknowledged"));
        Assert.Equal(_alerts.Count(a => In(a.At) && !a.Acked && a.Rule == "repeated-viewing"), Value(figures, "force", "misuse-alerts-raised", breakdown: "repeated-viewing"));

        Assert.Equal(month.Count(r => r.Policy == "aaaaaaaaaaaa"), Value(figures, "force", "decisions-under-policy", breakdown: "aaaaaaaaaaaa"));
        Assert.Equal(month.Count(r => r.Policy == "bbbbbbbbbbbb"), Value(figures, "force", "decisions-under-policy", breakdown: "bbbbbbbbbbbb"));
    }

    [Fact]
    public void Each_command_and_each_week_is_counted_on_its_own()
    {
        var (figures, _, commands) = Compute();

        Assert.Equal(["East", "North", "South", "Tiny"], commands);
        foreach (var command in Commands)
        {
            var month = _requests.Where(r => In(r.At) && r.Command == command).ToList();
            Assert.Equal(month.Count(r => r.Decision == "granted"), Value(figures, command, "views-granted"));
            Assert.Equal(month.Count(r => r.Decision == "pending"), Value(figures, command, "views-pending"));
            Assert.Equal(_presses.Count(p => In(p.At) && p.Command == command), Value(figures, command, "watch-me-presses"));
            Assert.Equal(_sessionEnds.Count(s => In(s.At) && s.Command == command), Value(figures, command, "viewer-sessions"));
        }

        foreach (var week in November.Weeks)
        {
            var expected = _requests.Count(r => r.At >= week.From && r.At < week.To && r.Decision == "granted");
            Assert.Equal(expected, Value(figures, "force", "views-granted", week: week.Name));
        }

        // 2 November 2026 is a Monday: the month starts with the end of week 44 (Sunday 1 November only).
        Assert.Equal(["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"], November.Weeks.Select(w => w.Name));
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero), November.Weeks[0].To);
    }

    [Fact]
    public void A_command_with_three_refusals_shows_fewer_than_five_and_so_do_the_page_and_the_data()
    {
        var report = Report();
        var tiny = report.Figures.Single(f => f.Scope == "Tiny" && f.Week is null && f.Measure == "views-refused" && f.Breakdown is null);

        Assert.True(tiny.Suppressed);
        Assert.Null(tiny.Value);
        Assert.Equal("fewer than 5", tiny.Display);
        // Zero is not hidden: it singles no one out.
        Assert.Equal("0", report.Figures.Single(f => f.Scope == "Tiny" && f.Week is null && f.Measure == "views-granted").Display);
        // Times resting on fewer than five views are not shown either.
        Assert.True(report.Figures.Single(f => f.Scope == "Tiny" && f.Week is null && f.Measure == "view-duration-median-seconds").Display is "none");

        var csv = ReportCsv.Write(report);
        Assert.Contains("2026-11,", csv);
        Assert.Contains(",Tiny,,views-refused,,,true,fewer than 5", csv);
        var page = ReportPage.Render(report, report.ComputedAt, ["2026-11"], "transparency@force.example");
        Assert.Contains("fewer than 5", page);
        Assert.Contains("<th scope=\"col\" class=\"n\">Tiny</th>", page);
    }

    [Fact]
    public void No_identifier_name_reason_or_place_reaches_the_page_the_json_or_the_csv()
    {
        var report = Report();
        var published = new[]
        {
            ReportPage.Render(report, report.ComputedAt, ["2026-11", "2026-10"], null),
            JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
            ReportCsv.Write(report),
        };

        Assert.True(_secrets.Count > 3000, $"the simulation made {_secrets.Count} identifiers and texts");
        foreach (var text in published.Select(p => p.ToLowerInvariant()))
        {
            var leaked = _secrets.Where(s => text.Contains(s.ToLowerInvariant(), StringComparison.Ordinal)).Take(5).ToList();
            Assert.True(leaked.Count == 0, $"published text contains {string.Join(", ", leaked)}");
        }
    }

    [Fact]
    public void The_policy_versions_in_force_are_the_one_at_the_start_and_each_change_with_its_day()
    {
        var (_, policies, _) = Compute();

        Assert.Equal(
            [new PolicyVersionInForce("999999999999", null, true), new PolicyVersionInForce("aaaaaaaaaaaa", new DateOnly(2026, 11, 1), false),
                new PolicyVersionInForce("bbbbbbbbbbbb", new DateOnly(2026, 11, 15), false)],
            policies);
    }

    [Fact]
    public void Months_follow_uk_time_and_a_month_not_begun_or_misnamed_is_not_a_period()
    {
        Assert.True(ReportPeriod.TryParse("2026-07", London, out var july));
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.FromHours(1)), july.From);
        Assert.Equal(new DateTimeOffset(2026, 7, 31, 23, 0, 0, TimeSpan.Zero), july.To.ToUniversalTime());
        Assert.False(ReportPeriod.TryParse("2026-13", London, out _));
        Assert.False(ReportPeriod.TryParse("26-11", London, out _));
        Assert.False(ReportPeriod.TryParse("2026-11'; drop table", London, out _));
        Assert.Equal("2026-10", November.Previous(London).Name);
    }

    [Theory]
    [InlineData(new double[] { 5 }, 50, 5)]
    [InlineData(new double[] { 1, 2, 3, 4 }, 50, 2)]
    [InlineData(new double[] { 4, 1, 3, 2, 5 }, 50, 3)]
    [InlineData(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 }, 95, 19)]
    public void Percentiles_are_nearest_rank(double[] values, int percent, double expected) =>
        Assert.Equal(expected, TransparencyFigures.Percentile(values, percent));

    private (IReadOnlyList<Figure> Figures, IReadOnlyList<PolicyVersionInForce> Policies, IReadOnlyList<string> Commands) Compute() =>
        TransparencyFigures.Compute(November, _entries, 5, London);

    private TransparencyReport Report()
    {
        var (figures, policies, commands) = Compute();
        return new TransparencyReport(November.Name, November.From, November.To, "Europe/London", true, November.Weeks, November.To.AddHours(2), 5,
            new ReportCheckpoint(_entries.Count, new string('a', 64), November.To, "c2lnbmF0dXJl", "key-1", "RS256", "1\nhash\nat", "-----BEGIN PUBLIC KEY-----"),
            policies, commands, [.. TransparencyFigures.Measures.Select(m => new MeasureDescription(m.Measure, m.Label, m.Seconds ? "seconds" : "count"))],
            figures, "f1", null);
    }

    private static double? Value(IReadOnlyList<Figure> figures, string scope, string measure, string? week = null, string? breakdown = null) =>
        figures.Single(f => f.Scope == scope && f.Week == week && f.Measure == measure && f.Breakdown == breakdown).Value;

    private static bool In(DateTimeOffset at) => at >= November.From && at < November.To;

    private static double NearestRank(List<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[(int)Math.Ceiling(p * sorted.Count) - 1];
    }

    private string Secret(string prefix)
    {
        var value = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
        _secrets.Add(value);
        return value;
    }

    private void Add(DateTimeOffset at, IIntegrationEvent fact)
    {
        var data = JsonSerializer.Serialize(fact, fact.GetType(), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var seq = _entries.Count + 1;
        _entries.Add(new AuditEntry(seq, at, at, fact.GetType().Name, Guid.NewGuid(), fact.ActorId, "subject", null, null, null, null, data, "prev", "hash"));
    }

    private DateTimeOffset Anytime(DateTimeOffset from, DateTimeOffset to) => from + TimeSpan.FromSeconds(_random.NextDouble() * (to - from).TotalSeconds);

    /// <summary>Sixty cameras in three commands, about 2,400 requests and what follows them, in November and either side.</summary>
    private void Simulate()
    {
        var cameras = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var camera = Secret("CAM");
            var command = Commands[i % 3];
            _commandOfCamera[camera] = command;
            cameras.Add(camera);
            Add(new DateTimeOffset(2026, 10, 20, 8, 0, 0, TimeSpan.Zero), new CameraAssigned(camera, Secret("officer"), Secret("callsign"), command, "admin", new DateTimeOffset(2026, 10, 20, 8, 0, 0, TimeSpan.Zero), Guid.NewGuid()));
        }

        var tinyCamera = Secret("CAM");
        Add(new DateTimeOffset(2026, 10, 20, 8, 0, 0, TimeSpan.Zero), new CameraAssigned(tinyCamera, Secret("officer"), Secret("callsign"), "Tiny", "admin", new DateTimeOffset(2026, 10, 20, 8, 0, 0, TimeSpan.Zero), Guid.NewGuid()));
        var viewers = Enumerable.Range(0, 12).Select(_ => Secret("viewer")).ToList();

        var events = new List<(DateTimeOffset At, Action Add)>();
        void Request(DateTimeOffset at, string camera, string command, string policy)
        {
            var id = Secret("req");
            var roll = _random.NextDouble();
            var (purpose, decision, rule) = roll switch
            {
                < 0.08 => ("use-of-force-review", "denied", "excluded-purpose"),
                < 0.11 => ("typed by hand", "denied", "unknown-purpose"),
                < 0.15 => (Purposes[_random.Next(Purposes.Length)], "denied", "reason-required"),
                < 0.25 => ("evidence-advice", "pending", "two-person-rule"),
                _ => (Purposes[_random.Next(Purposes.Length)], "granted", "purpose-allowed"),
            };
            var incident = _random.NextDouble() < 0.4 ? Secret("INC") : null;
            var viewer = viewers[_random.Next(viewers.Count)];
            var reason = Secret("because of what I saw at the Hawthorns") ;
            var officer = Secret("officer");
            var typed = purpose == "typed by hand" ? Secret("my own purpose") : purpose;
            _requests.Add(new Request(at, id, camera, command, purpose, decision, rule, incident is not null, policy));
            events.Add((at, () => Add(at, new ViewRequestDecided(id, decision, camera, officer, viewer, "control-room", typed, reason, incident, policy, rule,
                Secret("explanation"), decision == "granted" ? at.AddMinutes(10) : null, 600, decision == "pending" ? "supervisor" : null, "10.1.2.3", viewer, at, Guid.NewGuid(),
                "HQ", command))));
            var grantedAt = at;
            if (decision == "pending")
            {
                var decidedAt = at.AddMinutes(_random.Next(1, 90));
                var approved = _random.NextDouble() < 0.7;
                _secondPerson.Add((decidedAt, command, approved, incident is not null));
                events.Add((decidedAt, () => Add(decidedAt, approved
                    ? new ViewRequestApproved(id, camera, officer, viewer, "control-room", purpose, incident, Secret("note"), decidedAt.AddMinutes(10), "supervisor9", decidedAt, Guid.NewGuid())
                    : new ViewRequestRefused(id, camera, officer, viewer, purpose, incident, Secret("note"), "supervisor9", decidedAt, Guid.NewGuid()))));
                if (!approved)
                {
                    return;
                }

                grantedAt = decidedAt;
            }
            else if (decision != "granted")
            {
                return;
            }

            var started = grantedAt.AddSeconds(_random.Next(2, 60));
            var seconds = _random.Next(20, 1800);
            var ended = started.AddSeconds(seconds);
            var session = Secret("session");
            _sessionStarts.Add((started, camera));
            _sessionEnds.Add((ended, command, seconds));
            events.Add((started, () => Add(started, new ViewerSessionStarted(session, camera, viewer, id, viewer, started, Guid.NewGuid()))));
            events.Add((ended, () => Add(ended, new ViewerSessionEnded(session, camera, viewer, id, 1000, seconds * 1000L, "grant-expired", viewer, ended, Guid.NewGuid()))));
        }

        // October (a different policy), November (a policy change on the 15th) and the start of December.
        for (var i = 0; i < 200; i++)
        {
            var camera = cameras[_random.Next(cameras.Count)];
            Request(Anytime(new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero), November.From.AddHours(-3)), camera, _commandOfCamera[camera], "999999999999");
        }

        var change = new DateTimeOffset(2026, 11, 15, 9, 30, 0, TimeSpan.Zero);
        Request(November.From.AddMinutes(1), cameras[0], _commandOfCamera[cameras[0]], "aaaaaaaaaaaa");
        for (var i = 0; i < 2400; i++)
        {
            var camera = cameras[_random.Next(cameras.Count)];
            var at = Anytime(November.From, November.To);
            Request(at, camera, _commandOfCamera[camera], at < change ? "aaaaaaaaaaaa" : "bbbbbbbbbbbb");
        }

        for (var i = 0; i < 150; i++)
        {
            var camera = cameras[_random.Next(cameras.Count)];
            Request(Anytime(November.To, November.To.AddDays(5)), camera, _commandOfCamera[camera], "bbbbbbbbbbbb");
        }

        // Three refusals in a small command, and nothing else there.
        for (var i = 0; i < 3; i++)
        {
            var at = Anytime(November.From, November.To);
            var id = Secret("req");
            _requests.Add(new Request(at, id, tinyCamera, "Tiny", "use-of-force-review", "denied", "excluded-purpose", false, at < change ? "aaaaaaaaaaaa" : "bbbbbbbbbbbb"));
            events.Add((at, () => Add(at, new ViewRequestDecided(id, "denied", tinyCamera, Secret("officer"), viewers[0], "supervisor", "use-of-force-review", Secret("reason"), null,
                at < change ? "aaaaaaaaaaaa" : "bbbbbbbbbbbb", "excluded-purpose", Secret("explanation"), null, 0, null, null, viewers[0], at, Guid.NewGuid(), null, "Tiny"))));
        }

        // Watch Me presses, most answered by a live view within minutes, some never.
        for (var i = 0; i < 90; i++)
        {
            var camera = cameras[_random.Next(cameras.Count)];
            var at = Anytime(November.From.AddHours(-2), November.To);
            var officer = Secret("officer");
            _presses.Add((at, camera, _commandOfCamera[camera]));
            events.Add((at, () => Add(at, new WatchMeRequested(camera, officer, Secret("note"), camera, at, Guid.NewGuid()))));
            if (_random.NextDouble() < 0.75)
            {
                var watched = at.AddSeconds(_random.Next(5, 600));
                var session = Secret("session");
                _sessionStarts.Add((watched, camera));
                events.Add((watched, () => Add(watched, new ViewerSessionStarted(session, camera, viewers[1], Secret("grant"), viewers[1], watched, Guid.NewGuid()))));
            }
        }

        // Misuse alerts, some closed with a note; one raised in October and closed in November.
        string[] rules = ["repeated-viewing", "no-incident-reference", "out-of-hours"];
        for (var i = 0; i < 40; i++)
        {
            var camera = cameras[_random.Next(cameras.Count)];
            var raisedAt = i == 0 ? new DateTimeOffset(2026, 10, 30, 12, 0, 0, TimeSpan.Zero) : Anytime(November.From, November.To.AddDays(-2));
            var rule = rules[_random.Next(rules.Length)];
            var alert = $"{rule}-{i}";
            _alerts.Add((raisedAt, _commandOfCamera[camera], rule, false));
            events.Add((raisedAt, () => Add(raisedAt, new MisuseAlertRaised(alert, rule, i, viewers[2], Secret("officer"), camera, Secret("explanation"), "system:audit-monitor", raisedAt, Guid.NewGuid()))));
            if (i == 0 || _random.NextDouble() < 0.6)
            {
                var acked = raisedAt.AddHours(_random.Next(1, 40));
                _alerts.Add((acked, _commandOfCamera[camera], rule, true));
                events.Add((acked, () => Add(acked, new MisuseAlertAcknowledged(alert, rule, viewers[2], camera, Secret("finding"), "compliance1", acked, Guid.NewGuid()))));
            }
        }

        // The chain holds facts in the order audit received them: near enough the order they happened.
        foreach (var (_, add) in events.OrderBy(e => e.At))
        {
            add();
        }
    }
}
