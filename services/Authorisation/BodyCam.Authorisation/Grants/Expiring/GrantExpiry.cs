using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults;
using Marten;

namespace BodyCam.Authorisation.Grants.Expiring;

/// <summary>
/// Raises <see cref="GrantExpired"/> on time, with nobody reading: every second it ends the live
/// grants whose time has passed, so streaming hears of it and cuts the viewers off.
/// </summary>
/// <remarks>On one elected instance at a time (<see cref="Elections"/>).</remarks>
public sealed class GrantExpiry(Elections elections, IDocumentStore store, TimeProvider time, ILogger<GrantExpiry> log) : ElectedService(elections, "grant-expiry")
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task RunElectedAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ExpireDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Expiring grants failed; trying again in {Interval}", Interval);
            }
        }
    }

    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var session = store.LightweightSession();
        var due = await session.Query<ViewGrant>()
            .Where(g => g.State == GrantState.Active && g.ExpiresAt <= now)
            .Take(500)
            .ToListAsync(cancellationToken);
        foreach (var grant in due)
        {
            var stream = await session.Events.FetchForWriting<ViewGrant>(grant.Id, cancellationToken);
            if (stream.Aggregate is { } current && GrantDecisions.Expire(current, new(now, Guid.NewGuid())) is { } expired)
            {
                stream.AppendOne(expired);
            }
        }

        await session.SaveChangesAsync(cancellationToken);
        return due.Count;
    }
}
