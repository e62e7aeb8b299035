using System.Security.Cryptography;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.IdentityModel.Tokens;

namespace BodyCam.Audit.Chain.Checkpoints;

/// <summary>
/// Signs the chain's head every few seconds when it has moved, with audit's own RSA key
/// (<c>Audit:SigningKeyFile</c>), and stores the checkpoint.
/// </summary>
public sealed class CheckpointSigner(IDocumentStore store, TimeProvider time, IConfiguration configuration, ILogger<CheckpointSigner> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly RsaSecurityKey _key = SigningKey.Load(configuration["Audit:SigningKeyFile"], log);

    /// <summary>The public key, as PEM, and its id.</summary>
    public (string Pem, string KeyId) PublicKey => (_key.Rsa.ExportSubjectPublicKeyInfoPem(), _key.KeyId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SignHeadAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Signing an audit checkpoint failed; trying again in {Interval}", Interval);
            }
        }
    }

    public async Task SignHeadAsync(CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var state = await session.Events.FetchStreamStateAsync(AuditChain.StreamKey, cancellationToken);
        if (state is null || state.Version == 0)
        {
            return;
        }

        var last = await session.Query<Checkpoint>().OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
        if (last?.Id >= state.Version)
        {
            return;
        }

        var head = await session.LoadAsync<AuditEntry>(state.Version, cancellationToken);
        if (head is null)
        {
            return;
        }

        var at = time.GetUtcNow();
        var signature = _key.Rsa.SignData(Checkpoint.SignedText(head.Id, head.Hash, at), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        session.Insert(new Checkpoint(head.Id, head.Hash, at, Convert.ToBase64String(signature), _key.KeyId));
        await session.SaveChangesAsync(cancellationToken);
    }
}
