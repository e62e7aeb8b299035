using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace BodyCam.Audit.Transparency;

/// <summary>
/// The report as one plain HTML page: no script, no web font, no file from elsewhere; charts are
/// inline SVG with their figures written beside the bars, so the page reads the same to a screen
/// reader, on a phone and on paper.
/// </summary>
public static class ReportPage
{
    private const string Style = """
        body{font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1b1b;background:#fff;margin:0}
        header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}
        header{border-bottom:4px solid #1d4f91;padding-top:1rem}
        h1{font-size:1.75rem;line-height:1.2;margin:.25rem 0 .5rem}
        h2{font-size:1.35rem;margin-top:2rem;border-bottom:1px solid #b1b4b6}
        h3{font-size:1.1rem;margin-bottom:.25rem}
        .kicker{margin:0;color:#505a5f;font-weight:600}
        a{color:#1d4f91}
        a:focus{outline:3px solid #ffbf47;background:#ffbf47}
        nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
        table{border-collapse:collapse;margin:.5rem 0 1rem;min-width:50%}
        caption{text-align:left;font-weight:600;padding:.25rem 0}
        th,td{border-bottom:1px solid #b1b4b6;padding:.3rem .6rem .3rem 0;text-align:left;vertical-align:top}
        td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        .wide{overflow-x:auto}
        .wide:focus{outline:3px solid #ffbf47}
        figure{margin:1rem 0 1.5rem;break-inside:avoid}
        figcaption{font-weight:600}
        svg{width:100%;max-width:40rem;height:auto;display:block}
        svg text{font:13px system-ui,Arial,sans-serif;fill:#1b1b1b}
        .bar{fill:#1d4f91}
        .held{fill:#fff;stroke:#505a5f;stroke-dasharray:3 2}
        .note{color:#505a5f}
        code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
        dt{font-weight:600;margin-top:.5rem}
        dd{margin-left:0}
        footer{margin-top:2rem;padding-bottom:2rem;border-top:1px solid #b1b4b6}
        @media print{nav{display:none}a{color:#1b1b1b}h2{break-after:avoid}.wide{overflow:visible}}
        """;

    /// <summary>Nothing but this page's own style runs or loads.</summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style)))}'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly CultureInfo Uk = CultureInfo.InvariantCulture;

    public static string Render(TransparencyReport? report, DateTimeOffset? publishedAt, IReadOnlyList<string> periods, string? contact)
    {
        var html = new StringBuilder(64 * 1024);
        var title = report is null
            ? "Live viewing of body-worn cameras: transparency report"
            : $"Live viewing of body-worn cameras: transparency report, {TransparencyReports.MonthTitle(report.Period)}";
        html.Append("<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">")
            .Append("<title>").Append(E(title)).Append("</title><style>").Append(Style).Append("</style></head><body>");
        html.Append("<header><p class=\"kicker\">BodyCam transparency report</p><h1>").Append(E(title)).Append("</h1>");
        if (report is null)
        {
            html.Append("<p>No report has been published yet. The first is published once a month is over.</p></header><main></main>");
            Footer(html, contact);
            return html.Append("</body></html>").ToString();
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(report.TimeZone);
        html.Append("<p>How often police officers and staff watched body-worn cameras live in ")
            .Append(E(TransparencyReports.MonthTitle(report.Period)))
            .Append(report.PeriodComplete ? "" : " (the month so far)")
            .Append(", why, how often the software refused, and how misuse was looked into. Counted from the access record, which records every request to watch. ")
            .Append("To protect the people involved, a count from 1 to ").Append(report.Threshold - 1)
            .Append(" is shown as “").Append(E(TransparencyFigures.FewerThan(report.Threshold))).Append("”, and no name, number, place or reason is shown.</p>")
            .Append("<p class=\"note\">Computed ").Append(E(Local(report.ComputedAt, zone)))
            .Append(publishedAt is { } at ? $", published {E(Local(at, zone))}" : "")
            .Append(". Times are UK time (").Append(E(report.TimeZone)).Append(").</p>");
        html.Append("<nav aria-label=\"This report in other forms, and other months\"><ul>")
            .Append("<li><a href=\"").Append(E($"{PublicReport.Path}.json?period={report.Period}")).Append("\">Open data (JSON)</a></li>")
            .Append("<li><a href=\"").Append(E($"{PublicReport.Path}.csv?period={report.Period}")).Append("\">Open data (CSV)</a></li>")
            .Append("<li><a href=\"#about\">About these figures</a></li>");
        foreach (var other in periods.Where(p => p != report.Period).Take(24))
        {
            html.Append("<li><a href=\"").Append(E($"{PublicReport.Path}?period={other}")).Append("\">").Append(E(TransparencyReports.MonthTitle(other))).Append("</a></li>");
        }

        html.Append("</ul></nav></header><main>");
        var force = report.Figures.Where(f => f.Scope == TransparencyFigures.Force).ToList();
        var labels = report.Measures.ToDictionary(m => m.Measure, m => m.Label);

        html.Append("<section aria-labelledby=\"glance\"><h2 id=\"glance\">The month at a glance</h2>")
            .Append("<table><caption>Force-wide, ").Append(E(TransparencyReports.MonthTitle(report.Period))).Append("</caption>")
            .Append("<thead><tr><th scope=\"col\">Measure</th><th scope=\"col\" class=\"n\">Figure</th></tr></thead><tbody>");
        foreach (var figure in force.Where(f => f.Week is null && f.Breakdown is null))
        {
            html.Append("<tr><th scope=\"row\">").Append(E(labels[figure.Measure])).Append("</th><td class=\"n\">").Append(E(figure.Display)).Append("</td></tr>");
        }

        html.Append("</tbody></table></section>");

        html.Append("<section aria-labelledby=\"charts\"><h2 id=\"charts\">Measure by measure</h2>")
            .Append("<p>Measures with parts (rules, purposes, policy versions) show the month by part; the others show the month week by week.</p>");
        var index = 0;
        foreach (var measure in report.Measures)
        {
            var parts = force.Where(f => f.Week is null && f.Measure == measure.Measure && f.Breakdown is not null).ToList();
            var bars = parts.Count > 0
                ? parts.Select(f => (Label: f.Breakdown!, Figure: f)).ToList()
                : report.Weeks.Select(w => (Label: WeekLabel(w, zone), Figure: force.First(f => f.Week == w.Name && f.Measure == measure.Measure && f.Breakdown is null))).ToList();
            Chart(html, $"chart-{index++}", measure.Label + (parts.Count > 0 ? "" : ", week by week"), bars);
        }

        html.Append("</section>");

        html.Append("<section aria-labelledby=\"weeks\"><h2 id=\"weeks\">Week by week</h2>");
        Table(html, "Force-wide, week by week (weeks run Monday to Sunday, cut at the month’s ends)",
            report.Weeks.Select(w => (WeekLabel(w, zone), (Func<Figure, bool>)(f => f.Scope == TransparencyFigures.Force && f.Week == w.Name))).ToList(),
            report.Figures, report.Measures);
        html.Append("</section>");

        html.Append("<section aria-labelledby=\"commands\"><h2 id=\"commands\">By command</h2>")
            .Append("<p>Requests are counted in the command of the officer whose camera was asked for.</p>");
        Table(html, "Each command, whole month",
            report.Commands.Select(c => (c, (Func<Figure, bool>)(f => f.Scope == c && f.Week is null))).ToList(),
            report.Figures, report.Measures);
        html.Append("</section>");

        html.Append("<section aria-labelledby=\"policy\"><h2 id=\"policy\">The policy in force</h2>")
            .Append("<p>The rules for who may watch, for what and for how long are one published policy; each version is named by the start of its SHA-256 hash.</p><ul>");
        foreach (var policy in report.PolicyVersions)
        {
            html.Append("<li>Version <code>").Append(E(policy.Version)).Append("</code>: ")
                .Append(policy.InForceAtStart ? "in force when the month began" : $"first used {E(policy.FirstUsedOn!.Value.ToString("d MMMM yyyy", Uk))}")
                .Append("</li>");
        }

        if (report.PolicyVersions.Count == 0)
        {
            html.Append("<li>No request was decided this month.</li>");
        }

        html.Append("</ul></section>");

        html.Append("<section aria-labelledby=\"record\"><h2 id=\"record\">Tie these figures to the record</h2>");
        if (report.Checkpoint is { } checkpoint)
        {
            html.Append("<p>The figures were computed from entries 1 to ").Append(checkpoint.Seq.ToString("N0", Uk))
                .Append(" of the access record, which is a hash chain: each entry holds the hash of the one before. The force signed the chain’s head at that entry; anyone can check the signature with the public key below, and an auditor can check the record against it.</p><dl>")
                .Append("<dt>Entries</dt><dd>").Append(checkpoint.Seq.ToString("N0", Uk)).Append("</dd>")
                .Append("<dt>Hash of the last entry</dt><dd class=\"hash\">").Append(E(checkpoint.Hash)).Append("</dd>")
                .Append("<dt>Signed</dt><dd>").Append(E(checkpoint.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture))).Append("</dd>")
                .Append("<dt>Signature (").Append(E(checkpoint.Algorithm)).Append(", key ").Append(E(checkpoint.KeyId)).Append(")</dt><dd class=\"hash\">").Append(E(checkpoint.Signature)).Append("</dd>")
                .Append("<dt>Signed text</dt><dd><code>").Append(E(checkpoint.SignedText.Replace("\n", "\\n", StringComparison.Ordinal))).Append("</code></dd>")
                .Append("<dt>Figures’ SHA-256</dt><dd class=\"hash\">").Append(E(report.FiguresSha256)).Append("</dd></dl>")
                .Append("<p>The public key is in the JSON form of this report.</p>");
        }
        else
        {
            html.Append("<p>The access record was empty when the figures were computed.</p>");
        }

        html.Append("</section>");

        html.Append("<section aria-labelledby=\"about\"><h2 id=\"about\">About these figures</h2><dl>");
        foreach (var (measure, text) in About)
        {
            html.Append("<dt>").Append(E(labels.GetValueOrDefault(measure, measure))).Append(" (<code>").Append(E(measure)).Append("</code>)</dt><dd>").Append(E(text)).Append("</dd>");
        }

        html.Append("</dl><p>Some things are never counted here because the software refuses them outright: watching for use-of-force scrutiny, stop and search review or performance monitoring is refused and shows under “Refused by the policy”.</p></section></main>");
        Footer(html, contact);
        return html.Append("</body></html>").ToString();
    }

    /// <summary>What each measure counts, in plain words (docs/transparency.md says the same).</summary>
    public static readonly IReadOnlyList<(string Measure, string Text)> About =
    [
        ("requests", "Every request to watch a camera live that the policy decided, by the purpose given. A purpose the policy does not list counts as “other”."),
        ("views-granted", "Requests the policy granted straight away."),
        ("views-refused", "Requests the policy refused, by the rule that refused them (for example a purpose the force has ruled out, or no reason given)."),
        ("views-pending", "Requests the policy sent to a supervisor to approve first (the two-person rule)."),
        ("pending-approved", "Such requests a second person approved this month."),
        ("pending-refused", "Such requests a second person refused this month."),
        ("views-with-incident-reference", "Granted views (at once or after approval) that named a dispatch incident."),
        ("viewer-sessions", "Times someone actually watched a camera live, counted when they stopped."),
        ("view-duration-median-seconds", "Half of live views lasted this long or less (nearest-rank median). Not shown when fewer views than the threshold ended."),
        ("view-duration-p95-seconds", "95 in every 100 live views lasted this long or less (nearest-rank)."),
        ("watch-me-presses", "Times an officer pressed Watch Me to ask the control room to watch their camera."),
        ("watch-me-watched", "Presses after which someone was watching that camera within 30 minutes."),
        ("watch-me-seconds-to-watch-median", "How soon someone was watching after a Watch Me press (median of those watched)."),
        ("watch-me-seconds-to-watch-p95", "How soon someone was watching after a Watch Me press (95th percentile)."),
        ("misuse-alerts-raised", "Alerts the software raised on the access record by a misuse rule (for example watching the same officer again and again)."),
        ("misuse-alerts-acknowledged", "Alerts a compliance officer looked into and closed, saying what they found."),
        ("decisions-under-policy", "Decisions made under each version of the policy."),
    ];

    private static void Chart(StringBuilder html, string id, string caption, IReadOnlyList<(string Label, Figure Figure)> bars)
    {
        const int labelWidth = 230, barWidth = 300, row = 26;
        var max = Math.Max(1, bars.Select(b => b.Figure.Value ?? 0).DefaultIfEmpty(0).Max());
        var height = Math.Max(1, bars.Count) * row + 8;
        html.Append("<figure><figcaption id=\"").Append(id).Append("\">").Append(E(caption)).Append("</figcaption>")
            .Append("<svg role=\"img\" aria-labelledby=\"").Append(id).Append(' ').Append(id).Append("-d\" viewBox=\"0 0 640 ").Append(height).Append("\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append("<desc id=\"").Append(id).Append("-d\">")
            .Append(E(bars.Count == 0 ? "Nothing to show." : string.Join("; ", bars.Select(b => $"{b.Label}: {b.Figure.Display}"))))
            .Append("</desc>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, figure) = bars[i];
            var y = i * row + 4;
            var width = figure.Value is { } v ? Math.Max(v > 0 ? 2 : 0, v / max * barWidth) : 0;
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 17}\">{E(Shorten(label, 34))}</text>");
            if (figure.Suppressed)
            {
                html.Append(CultureInfo.InvariantCulture, $"<rect class=\"held\" x=\"{labelWidth}\" y=\"{y + 4}\" width=\"24\" height=\"16\"/>");
                width = 24;
            }
            else
            {
                html.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{labelWidth}\" y=\"{y + 4}\" width=\"{width:0.#}\" height=\"16\"/>");
            }

            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth + width + 6:0.#}\" y=\"{y + 17}\">{E(figure.Display)}</text>");
        }

        html.Append("</svg></figure>");
    }

    private static void Table(StringBuilder html, string caption, IReadOnlyList<(string Label, Func<Figure, bool> Column)> columns,
        IReadOnlyList<Figure> figures, IReadOnlyList<MeasureDescription> measures)
    {
        if (columns.Count == 0)
        {
            html.Append("<p>Nothing happened in any command this month.</p>");
            return;
        }

        html.Append("<div class=\"wide\" tabindex=\"0\" role=\"region\" aria-label=\"").Append(E(caption)).Append("\"><table><caption>").Append(E(caption)).Append("</caption><thead><tr><th scope=\"col\">Measure</th>");
        foreach (var (label, _) in columns)
        {
            html.Append("<th scope=\"col\" class=\"n\">").Append(E(label)).Append("</th>");
        }

        html.Append("</tr></thead><tbody>");
        foreach (var measure in measures)
        {
            html.Append("<tr><th scope=\"row\">").Append(E(measure.Label)).Append("</th>");
            foreach (var (_, column) in columns)
            {
                var figure = figures.FirstOrDefault(f => f.Measure == measure.Measure && f.Breakdown is null && column(f));
                html.Append("<td class=\"n\">").Append(E(figure?.Display ?? "0")).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</tbody></table></div>");
    }

    private static void Footer(StringBuilder html, string? contact)
    {
        html.Append("<footer><p>Questions about this report or about live viewing: ")
            .Append(contact is { Length: > 0 } c ? E(c) : "the force’s information rights team")
            .Append(". The figures come from BodyCam’s access record and are published by the software itself each month.</p></footer>");
    }

    private static string WeekLabel(ReportWeek week, TimeZoneInfo zone)
    {
        var from = TimeZoneInfo.ConvertTime(week.From, zone);
        var to = TimeZoneInfo.ConvertTime(week.To, zone).AddDays(-1);
        return $"{from.ToString("d MMM", Uk)}–{to.ToString("d MMM", Uk)}";
    }

    private static string Local(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("d MMMM yyyy, HH:mm", Uk);

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
