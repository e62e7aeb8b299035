namespace BodyCam.Audit.Transparency;

/// <summary>
/// The public report for one month: its figures and how to tie them to the verifiable record. It
/// names no person, camera, place or reason; see <see cref="TransparencyFigures"/>.
/// </summary>
public sealed record TransparencyReport(
    string Period,
    DateTimeOffset From,
    DateTimeOffset To,
    string TimeZone,
    bool PeriodComplete,
    IReadOnlyList<ReportWeek> Weeks,
    DateTimeOffset ComputedAt,
    int Threshold,
    ReportCheckpoint? Checkpoint,
    IReadOnlyList<PolicyVersionInForce> PolicyVersions,
    IReadOnlyList<string> Commands,
    IReadOnlyList<MeasureDescription> Measures,
    IReadOnlyList<Figure> Figures,
    string FiguresSha256,
    string? Contact);

/// <summary>What one measure counts.</summary>
public sealed record MeasureDescription(string Measure, string Label, string Unit);

/// <summary>
/// The signed audit checkpoint the figures were computed at: entries 1 to <see cref="Seq"/> of the
/// chain, the last with <see cref="Hash"/>. <see cref="Signature"/> is checked with
/// <see cref="PublicKeyPem"/> over the text <see cref="SignedText"/>.
/// </summary>
public sealed record ReportCheckpoint(long Seq, string Hash, DateTimeOffset At, string Signature, string KeyId, string Algorithm, string SignedText, string PublicKeyPem);

/// <summary>A report as published: what <c>/public/transparency</c> shows.</summary>
public sealed record PublishedTransparencyReport(string Id, TransparencyReport Report, DateTimeOffset PublishedAt);

/// <summary><c>Transparency:*</c> settings.</summary>
public sealed class TransparencyOptions
{
    /// <summary>Counts from 1 to Threshold - 1 are shown as "fewer than Threshold".</summary>
    public int Threshold { get; set; } = 5;

    /// <summary>The time zone months and weeks are counted in.</summary>
    public string TimeZone { get; set; } = "Europe/London";

    /// <summary>Publish last month's report by itself once the month is over (plus <see cref="Grace"/>).</summary>
    public bool AutoPublish { get; set; } = true;

    /// <summary>How long after a month ends its report is published, so late facts are in.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the schedule looks for a report to publish.</summary>
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The published point of contact for questions about the report (Surveillance Camera Code, principle 3).</summary>
    public string? Contact { get; set; }

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}
