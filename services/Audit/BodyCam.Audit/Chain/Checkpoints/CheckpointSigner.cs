using System.Security.Cryptography;
using BodyCam.Audit.Tree;
using BodyCam.Audit.Tree.Witnessing;
using BodyCam.ServiceDefaults.Security;
using BodyCam.ServiceDefaults;
using Marten;
using Microsoft.IdentityModel.Tokens;

namespace BodyCam.Audit.Chain.Checkpoints;

/// <summary>
/// Signs the record's head every second when it has moved: the root is recomputed from the tree's
/// tiles and entries (never taken from a stored head), checked consistent with the previous
/// checkpoint's root, signed as a C2SP checkpoint with the log's Ed25519 key (<c>Audit:LogKeyFile</c>,
/// origin <c>Audit:Origin</c>), sent to every configured witness for a cosignature, and appended to
/// the checkpoints' stream. The chain's head is also signed with audit's RSA key, as before.
/// A head that has not moved is signed again (every <see cref="Resign"/>) while the newest checkpoint
/// lacks a witness quorum, so a witness that was away catches up without new activity.
/// </summary>
public sealed class CheckpointSigner(IDocumentStore store, LogTree tree, Witnesses witnesses, TimeProvider time, IConfiguration configuration, ILogger<CheckpointSigner> log, Elections elections)
    : ElectedService(elections, "checkpoint-signer")
{
    public const string StreamKey = "audit-checkpoints";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Resign = TimeSpan.FromSeconds(30);

    private readonly RsaSecurityKey _key = SigningKey.Load(configuration["Audit:SigningKeyFile"], log);
    private readonly NoteSigner _log = NoteSigner.Load(configuration["Audit:LogKeyFile"], configuration["Audit:Origin"] ?? DefaultOrigin);
    private readonly SemaphoreSlim _signing = new(1, 1);

    public const string DefaultOrigin = "bodycam.local/audit";

    /// <summary>The RSA public key that checks the chain statements, as PEM, and its id.</summary>
    public (string Pem, string KeyId) PublicKey => (_key.Rsa.ExportSubjectPublicKeyInfoPem(), _key.KeyId);

    /// <summary>The log's checkpoint origin, which is also its key's name.</summary>
    public string Origin => _log.Name;

    /// <summary>The log's public key as signed-note verifiers take it (<c>name+id+base64</c>).</summary>
    public NoteKey LogKey => _log.Verifier(SignedNote.Ed25519Type);

    /// <summary>
    /// Every key the log's checkpoints may be signed with: the current one, and those it was rotated
    /// from (<c>Audit:FormerLogKeys</c>, verifier keys), so checkpoints signed before a rotation still verify.
    /// </summary>
    public IReadOnlyList<NoteKey> LogKeys => [LogKey, .. _formerLogKeys];

    private readonly IReadOnlyList<NoteKey> _formerLogKeys = [.. configuration.GetSection("Audit:FormerLogKeys").GetChildren()
        .Select(c => SignedNote.TryParseVerifierKey(c.Value, out var key) && key.Type == SignedNote.Ed25519Type
            ? key : throw new InvalidOperationException($"Audit:FormerLogKeys:{c.Key} is not a log's Ed25519 verifier key (name+id+base64)."))];

    protected override async Task RunElectedAsync(CancellationToken stoppingToken)
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
        await _signing.WaitAsync(cancellationToken);
        try
        {
            await SignAsync(cancellationToken);
        }
        finally
        {
            _signing.Release();
        }
    }

    private async Task SignAsync(CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var state = await session.Events.FetchStreamStateAsync(AuditChain.StreamKey, cancellationToken);
        if (state is null || state.Version == 0)
        {
            return;
        }

        var size = state.Version;
        // The newest on the checkpoints' stream, or the newest signed before it existed (no root: nothing to extend).
        var last = await CheckpointStream.LatestAsync(session, cancellationToken)
            ?? await session.Query<Checkpoint>().OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (last is not null && last.Id > size && last.Root is not null)
        {
            // Entries a checkpoint covered are gone: never sign a smaller tree; say so every second.
            throw new TreeBrokenException($"Checkpoint {last.Number} signed a tree of {last.Id} entries and the chain now has {size}: entries were removed.");
        }

        if (last is not null && (last.Id > size || (last.Id == size && (witnesses.Quorum(last.Note) || now - last.At < Resign))))
        {
            return;
        }

        var head = await session.LoadAsync<AuditEntry>(size, cancellationToken);
        if (head is null)
        {
            return;
        }

        var root = await tree.RootAsync(size, cancellationToken);
        if (last?.Root is { } lastRoot)
        {
            // Never sign a tree that does not extend what was signed before: that is a rewritten record.
            var proof = await tree.ConsistencyProofAsync(last.Id, size, cancellationToken);
            if (!Merkle.VerifyConsistency(last.Id, size, Convert.FromBase64String(lastRoot), root, proof))
            {
                throw new TreeBrokenException($"The tree of {size} entries does not extend checkpoint {last.Number} (tree of {last.Id}): the record was rewritten.");
            }
        }

        var body = SignedNote.CheckpointBody(_log.Name, size, root);
        var signature = SignedNote.Sign(body, _log.Name, _log.Key);
        var cosignatures = await witnesses.CosignAsync(body + "\n" + signature, size, tree, cancellationToken);
        var rsa = _key.Rsa.SignData(Checkpoint.SignedText(head.Id, head.Hash, now), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var number = (last?.Number ?? 0) + 1;
        var checkpoint = new Checkpoint(head.Id, head.Hash, now, Convert.ToBase64String(rsa), _key.KeyId,
            Convert.ToBase64String(root), body + "\n" + signature + string.Concat(cosignatures), number);
        if (number == 1)
        {
            session.Events.StartStream(StreamKey, new CheckpointSigned(checkpoint));
        }
        else
        {
            session.Events.Append(StreamKey, number, new CheckpointSigned(checkpoint));
        }

        session.Store(checkpoint);
        await session.SaveChangesAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _log.Dispose();
        _signing.Dispose();
        base.Dispose();
    }
}
