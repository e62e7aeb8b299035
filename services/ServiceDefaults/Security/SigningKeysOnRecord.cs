using BodyCam.Contracts.Records;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BodyCam.ServiceDefaults.Security;

/// <summary>The key a service last put on the record for a purpose.</summary>
public sealed record KeyOnRecord(string Id, string KeyId, DateTimeOffset Since);

/// <summary>Putting a service's signing keys on the record, as a service asks for it by name.</summary>
public static class SigningKeysOnRecord
{
    /// <summary>
    /// At every start, a <see cref="SigningKeyInUse"/> fact for each key whose id differs from the
    /// one last recorded for its purpose (so a rotation is a fact, and a restart with the same key is
    /// not). <paramref name="keys"/> names each purpose and the key id in use.
    /// </summary>
    public static IServiceCollection AddSigningKeysOnRecord(this IServiceCollection services, string service, Func<IServiceProvider, IReadOnlyList<(string Purpose, string KeyId)>> keys) =>
        services.AddHostedService(sp => new KeysOnRecord(sp.GetRequiredService<IDocumentStore>(), service, () => keys(sp), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<KeysOnRecord>>()));

    private sealed class KeysOnRecord(IDocumentStore store, string service, Func<IReadOnlyList<(string Purpose, string KeyId)>> keys, TimeProvider time, ILogger<KeysOnRecord> log)
        : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            // Until it is on the record: the database may be down at start.
            for (var delay = TimeSpan.FromSeconds(1); !stoppingToken.IsCancellationRequested; delay = TimeSpan.FromSeconds(Math.Min(60, delay.TotalSeconds * 2)))
            {
                try
                {
                    await using var session = store.LightweightSession();
                    var now = time.GetUtcNow();
                    foreach (var (purpose, keyId) in keys())
                    {
                        var id = $"{service}:{purpose}";
                        var recorded = await session.LoadAsync<KeyOnRecord>(id, stoppingToken);
                        if (recorded?.KeyId == keyId)
                        {
                            continue;
                        }

                        session.Store(new KeyOnRecord(id, keyId, now));
                        session.Events.StartStream($"key-{Guid.CreateVersion7():N}", new SigningKeyInUse(service, purpose, keyId, recorded?.KeyId, $"system:{service}", now, Guid.NewGuid()));
                        log.LogInformation("Signing key {KeyId} for {Purpose} is on the record (was {Previous})", keyId, purpose, recorded?.KeyId ?? "none");
                    }

                    await session.SaveChangesAsync(stoppingToken);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Putting the signing keys on the record failed; trying again in {Delay}", delay);
                    await Task.Delay(delay, time, stoppingToken);
                }
            }
        }
    }
}
