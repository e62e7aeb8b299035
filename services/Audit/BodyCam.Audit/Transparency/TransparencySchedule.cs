using BodyCam.ServiceDefaults;
using Marten;

namespace BodyCam.Audit.Transparency;

/// <summary>
/// Publishes last month's report by itself once the month is over (<c>Transparency:AutoPublish</c>,
/// on by default): on the first of the month, after <c>Transparency:Grace</c>. It looks every
/// <c>Transparency:CheckEvery</c>, so a month missed while audit was down is published when it is back.
/// A report a person already published is left as they published it.
/// </summary>
public sealed class TransparencySchedule(TransparencyReports reports, IDocumentStore store, TimeProvider time, ILogger<TransparencySchedule> log, Elections elections)
    : ElectedService(elections, "transparency-schedule")
{
    public const string Actor = "system:transparency-schedule";

    protected override async Task RunElectedAsync(CancellationToken stoppingToken)
    {
        if (!reports.Options.AutoPublish)
        {
            return;
        }

        using var timer = new PeriodicTimer(reports.Options.CheckEvery, time);
        do
        {
            try
            {
                await PublishDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Publishing the transparency report failed; trying again in {Interval}", reports.Options.CheckEvery);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<TransparencyReport?> PublishDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = ReportPeriod.Containing(now - reports.Options.Grace, reports.Zone).Previous(reports.Zone);
        await using (var session = store.QuerySession())
        {
            if (await session.LoadAsync<PublishedTransparencyReport>(due.Name, cancellationToken) is not null)
            {
                return null;
            }
        }

        var report = await reports.ComputeAsync(due, publish: true, Actor, Guid.NewGuid(), cancellationToken);
        log.LogInformation("Published the transparency report for {Period}", due.Name);
        return report;
    }
}
