using Microsoft.AspNetCore.DataProtection;

namespace BodyCam.Integration.Webhooks;

/// <summary>
/// Webhook secrets at rest: encrypted with ASP.NET Core Data Protection, whose keys live with the
/// service (<c>DataProtection:KeyRingPath</c>), not in the database. Whoever reads integration's
/// tables (a backup, a database administrator) cannot sign deliveries as BodyCam.
/// </summary>
public sealed class WebhookSecrets(IDataProtectionProvider provider)
{
    private const string Prefix = "dp1:";
    private readonly IDataProtector _protector = provider.CreateProtector("BodyCam.Integration.WebhookSecret.v1");

    public string Protect(string secret) => Prefix + _protector.Protect(secret);

    /// <summary>The secret itself; a value stored before secrets were encrypted is taken as it is.</summary>
    public string Reveal(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);
}

/// <summary>At start, encrypts any secret still stored in the clear (subscriptions made before this version).</summary>
public sealed class WebhookSecretsMigration(Marten.IDocumentStore store, WebhookSecrets secrets, ILogger<WebhookSecretsMigration> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var clear = (await Marten.QueryableExtensions.ToListAsync(session.Query<WebhookSubscription>(), cancellationToken))
            .Where(s => !WebhookSecrets.IsProtected(s.Secret)).ToList();
        foreach (var subscription in clear)
        {
            session.Store(subscription with { Secret = secrets.Protect(subscription.Secret) });
        }

        if (clear.Count > 0)
        {
            await session.SaveChangesAsync(cancellationToken);
            log.LogWarning("Encrypted {Count} webhook secrets that were stored in the clear", clear.Count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
