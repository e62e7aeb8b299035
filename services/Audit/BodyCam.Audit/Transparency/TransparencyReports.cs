using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.Contracts.Audit;
using Marten;
using Microsoft.Extensions.Options;

namespace BodyCam.Audit.Transparency;

/// <summary>
/// Computes a month's report from the audit chain as it stands at a freshly signed checkpoint,
/// records that it did so (a <see cref="TransparencyReportComputed"/> fact, which enters the chain),
/// and, when asked, publishes it.
/// </summary>
public sealed class TransparencyReports(IDocumentStore store, CheckpointSigner signer, TimeProvider time, IOptions<TransparencyOptions> options)
{
    private static readonly JsonSerializerOptions FigureJson = new(JsonSerializerDefaults.Web);

    public TransparencyOptions Options => options.Value;

    public TimeZoneInfo Zone { get; } = options.Value.Zone;

    public static string StreamKey(string period) => $"transparency-{period}";

    public async Task<TransparencyReport> ComputeAsync(ReportPeriod period, bool publish, string actorId, Guid correlationId, CancellationToken cancellationToken)
    {
        // The newest facts are signed first, so the report names a checkpoint that covers them.
        await signer.SignHeadAsync(cancellationToken);
        await using var session = store.LightweightSession();
        var checkpoint = await session.Query<Checkpoint>().OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
        var upTo = checkpoint?.Id ?? 0;
        var entries = await ReadAsync(session, period, upTo, cancellationToken);

        var (figures, policies, commands) = TransparencyFigures.Compute(period, entries, Options.Threshold, Zone);
        var now = time.GetUtcNow();
        var figuresHash = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(figures, FigureJson)));
        var (pem, keyId) = signer.PublicKey;
        var report = new TransparencyReport(
            period.Name, period.From, period.To, Options.TimeZone, now >= period.To, period.Weeks, now, Options.Threshold,
            checkpoint is null ? null : new ReportCheckpoint(checkpoint.Id, checkpoint.Hash, checkpoint.At, checkpoint.Signature, checkpoint.KeyId,
                "RS256 (RSA PKCS#1 v1.5, SHA-256)", Encoding.UTF8.GetString(Checkpoint.SignedText(checkpoint.Id, checkpoint.Hash, checkpoint.At)), pem),
            policies, commands,
            [.. TransparencyFigures.Measures.Select(m => new MeasureDescription(m.Measure, m.Label, m.Seconds ? "seconds" : "count"))],
            figures, figuresHash, Options.Contact);

        session.Events.Append(StreamKey(period.Name), new TransparencyReportComputed(period.Name, publish, upTo, checkpoint?.Hash, figuresHash, actorId, now, correlationId));
        if (publish)
        {
            session.Store(new PublishedTransparencyReport(period.Name, report, now));
        }

        await session.SaveChangesAsync(cancellationToken);
        return report;
    }

    /// <summary>The entries the month's figures need, up to the checkpoint: the month's own, and enough before it to attribute them.</summary>
    private static async Task<List<AuditEntry>> ReadAsync(IQuerySession session, ReportPeriod period, long upTo, CancellationToken cancellationToken)
    {
        // A request decided up to a month before can be approved, watched or ended in this one; a
        // camera issued up to two months before can still be worn; a Watch Me at the month's last
        // minute can be answered just after it.
        var lookBack = period.From.AddDays(-31);
        var end = period.To + TransparencyFigures.WatchMeResponseWindow;
        var monthly = TransparencyFigures.Types.Except(["CameraAssigned", "MisuseAlertRaised"]).ToArray();
        var entries = new List<AuditEntry>(await session.Query<AuditEntry>()
            .Where(e => e.Id <= upTo && monthly.Contains(e.Type) && e.At >= lookBack && e.At < end)
            .ToListAsync(cancellationToken));
        var assignedSince = period.From.AddDays(-62);
        entries.AddRange(await session.Query<AuditEntry>()
            .Where(e => e.Id <= upTo && e.Type == "CameraAssigned" && e.At >= assignedSince && e.At < end)
            .ToListAsync(cancellationToken));
        entries.AddRange(await session.Query<AuditEntry>()
            .Where(e => e.Id <= upTo && e.Type == "MisuseAlertRaised" && e.At < end)
            .ToListAsync(cancellationToken));
        // The policy in force when the month began.
        if (await session.Query<AuditEntry>()
                .Where(e => e.Id <= upTo && e.Type == "ViewRequestDecided" && e.At < lookBack)
                .OrderByDescending(e => e.Id).FirstOrDefaultAsync(cancellationToken) is { } before)
        {
            entries.Add(before);
        }

        return entries;
    }

    public async Task<PublishedTransparencyReport?> PublishedAsync(IQuerySession session, string? period, CancellationToken cancellationToken) =>
        period is null
            ? await session.Query<PublishedTransparencyReport>().OrderByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken)
            : await session.LoadAsync<PublishedTransparencyReport>(period, cancellationToken);

    public static async Task<IReadOnlyList<string>> PublishedPeriodsAsync(IQuerySession session, CancellationToken cancellationToken) =>
        await session.Query<PublishedTransparencyReport>().OrderByDescending(r => r.Id).Select(r => r.Id).ToListAsync(cancellationToken);

    public static string MonthTitle(string period) =>
        DateTime.ParseExact(period, "yyyy-MM", CultureInfo.InvariantCulture).ToString("MMMM yyyy", CultureInfo.InvariantCulture);
}
