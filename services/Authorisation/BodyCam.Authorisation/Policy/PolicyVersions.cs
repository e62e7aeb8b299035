using BodyCam.Contracts.Access;
using Marten;

namespace BodyCam.Authorisation.Policy;

/// <summary>The policy version authorisation last put on the record.</summary>
public sealed record RecordedPolicy(string Id, string Version, DateTimeOffset Since);

/// <summary>
/// Puts each new policy version on the record: at start and whenever the file's version changes, a
/// <see cref="PolicyVersionLoaded"/> fact (published like every fact, so audit chains it), once per
/// version however many instances or restarts see it (optimistic concurrency on the record of it).
/// </summary>
public sealed class PolicyVersions(IDocumentStore store, PolicyStore policies, TimeProvider time, ILogger<PolicyVersions> log) : BackgroundService
{
    public const string Key = "view-policy";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await RecordAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Recording the policy version failed; trying again in {Interval}", Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task RecordAsync(CancellationToken cancellationToken)
    {
        var policy = policies.Current;
        await using var session = store.LightweightSession();
        var recorded = await session.LoadAsync<RecordedPolicy>(Key, cancellationToken);
        if (recorded?.Version == policy.Version)
        {
            return;
        }

        var now = time.GetUtcNow();
        session.Store(new RecordedPolicy(Key, policy.Version, now));
        session.Events.StartStream($"policy-{policy.Version}-{Guid.CreateVersion7():N}", new PolicyVersionLoaded(
            policy.Version, recorded?.Version, [.. policy.Purposes.Keys.Order(StringComparer.Ordinal)], [.. policy.ExcludedPurposes.Keys.Order(StringComparer.Ordinal)],
            "system:authorisation", now, Guid.NewGuid()));
        await session.SaveChangesAsync(cancellationToken);
        log.LogInformation("Policy version {Version} is on the record (was {Previous})", policy.Version, recorded?.Version ?? "none");
    }
}
