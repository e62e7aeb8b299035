using System.Globalization;
using CsvHelper;

namespace BodyCam.Audit.Transparency;

/// <summary>
/// The report's figures as CSV, one figure per row, each row carrying the period, when it was
/// computed and the checkpoint; the policy versions in force are rows of the measure <c>policy-in-force</c>.
/// </summary>
public static class ReportCsv
{
    public static string Write(TransparencyReport report)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using var csv = new CsvWriter(text, CultureInfo.InvariantCulture);
        foreach (var header in new[] { "period", "computed_at", "checkpoint_seq", "checkpoint_hash", "scope", "week", "measure", "breakdown", "value", "suppressed", "display" })
        {
            csv.WriteField(header);
        }

        csv.NextRecord();
        void Row(string scope, string? week, string measure, string? breakdown, double? value, bool suppressed, string display)
        {
            csv.WriteField(report.Period);
            csv.WriteField(report.ComputedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            csv.WriteField(report.Checkpoint?.Seq.ToString(CultureInfo.InvariantCulture) ?? "");
            csv.WriteField(report.Checkpoint?.Hash ?? "");
            csv.WriteField(scope);
            csv.WriteField(week ?? "");
            csv.WriteField(measure);
            csv.WriteField(breakdown ?? "");
            csv.WriteField(value?.ToString(CultureInfo.InvariantCulture) ?? "");
            csv.WriteField(suppressed ? "true" : "false");
            csv.WriteField(display);
            csv.NextRecord();
        }

        foreach (var policy in report.PolicyVersions)
        {
            Row(TransparencyFigures.Force, null, "policy-in-force", policy.Version, null, false,
                policy.InForceAtStart ? "in force when the month began" : "first used " + policy.FirstUsedOn!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        foreach (var f in report.Figures)
        {
            Row(f.Scope, f.Week, f.Measure, f.Breakdown, f.Value, f.Suppressed, f.Display);
        }

        return text.ToString();
    }
}
