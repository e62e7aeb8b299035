using System.Collections.Concurrent;
using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Cameras;
using BodyCam.Streaming.Live;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Grants;

/// <summary>
/// What streaming knows of a grant beyond its token: that it ended early (revoked, expired) or was
/// extended past the token's expiry. A stream token is verified locally; these facts make sure a
/// token of a revoked grant opens nothing, and an extension keeps an open session going.
/// </summary>
public sealed record GrantFact(string Id, string CameraId, DateTimeOffset? ExtendedUntil = null, string? EndedBecause = null, string? EndDetail = null);

public sealed class GrantBook
{
    private readonly ConcurrentDictionary<string, GrantFact> _grants = new();

    public GrantFact? Find(string grantId) => _grants.GetValueOrDefault(grantId);

    public void Set(GrantFact fact) => _grants[fact.Id] = fact;

    /// <summary>
    /// Keeps what authorisation said of a grant only when no fact about it has arrived meanwhile: a
    /// revocation heard while the question was on its way must not be overwritten by the older answer.
    /// </summary>
    public void Remember(GrantFact answer) => _grants.TryAdd(answer.Id, answer);

    public async Task LoadAsync(IDocumentStore store, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        foreach (var fact in await session.Query<GrantFact>().ToListAsync(cancellationToken))
        {
            Set(fact);
        }
    }
}

public sealed class GrantRevokedConsumer(FactWriter writer, GrantBook grants, LiveStreams streams) : IdempotentConsumer<GrantRevoked>(writer)
{
    protected override DocumentKey? Loads(GrantRevoked m) => DocumentKey.Of<GrantFact>(m.GrantId);

    private GrantFact? _stored;

    protected override async Task Handle(ConsumeContext<GrantRevoked> context, IDocumentSession session) =>
        _stored = await GrantFacts.StoreAsync(session, context.Message.GrantId, context.Message.CameraId,
            f => f with { EndedBecause = EndReasons.GrantRevoked, EndDetail = context.Message.Reason }, context.CancellationToken);

    protected override void Committed(ConsumeContext<GrantRevoked> context)
    {
        grants.Set(_stored!);
        streams.CutOffGrant(context.Message.GrantId, EndReasons.GrantRevoked, context.Message.Reason);
    }
}

public sealed class GrantExpiredConsumer(FactWriter writer, GrantBook grants, LiveStreams streams) : IdempotentConsumer<GrantExpired>(writer)
{
    protected override DocumentKey? Loads(GrantExpired m) => DocumentKey.Of<GrantFact>(m.GrantId);

    private GrantFact? _stored;

    protected override async Task Handle(ConsumeContext<GrantExpired> context, IDocumentSession session) =>
        _stored = await GrantFacts.StoreAsync(session, context.Message.GrantId, context.Message.CameraId,
            f => f with { EndedBecause = f.EndedBecause ?? EndReasons.GrantExpired, EndDetail = f.EndDetail ?? "The grant has expired." }, context.CancellationToken);

    protected override void Committed(ConsumeContext<GrantExpired> context)
    {
        grants.Set(_stored!);
        streams.CutOffGrant(context.Message.GrantId, EndReasons.GrantExpired, "The grant has expired.");
    }
}

/// <summary>An extended grant keeps its open sessions going until the new expiry.</summary>
public sealed class GrantExtendedConsumer(FactWriter writer, GrantBook grants, LiveStreams streams) : IdempotentConsumer<GrantExtended>(writer)
{
    protected override DocumentKey? Loads(GrantExtended m) => DocumentKey.Of<GrantFact>(m.GrantId);

    private GrantFact? _stored;

    protected override async Task Handle(ConsumeContext<GrantExtended> context, IDocumentSession session) =>
        _stored = await GrantFacts.StoreAsync(session, context.Message.GrantId, context.Message.CameraId,
            f => f with { ExtendedUntil = context.Message.ExpiresAt }, context.CancellationToken);

    protected override void Committed(ConsumeContext<GrantExtended> context)
    {
        grants.Set(_stored!);
        if (_stored!.EndedBecause is null)
        {
            streams.ExtendGrant(context.Message.GrantId, context.Message.ExpiresAt);
        }
    }
}

public static class GrantFacts
{
    /// <summary>Camera facts share one endpoint; a camera's apply in order.</summary>
    public const string CameraEndpoint = "streaming-camera-facts";

    /// <summary>
    /// Grant facts have an endpoint of their own: a revocation must never wait behind a queue of camera
    /// facts. A camera's grant facts apply in order: an extension never overtakes a revocation.
    /// </summary>
    public const string GrantEndpoint = "streaming-grant-facts";

    internal static async Task<GrantFact> StoreAsync(IDocumentSession session, string grantId, string cameraId, Func<GrantFact, GrantFact> change, CancellationToken cancellationToken)
    {
        var current = await session.LoadAsync<GrantFact>(grantId, cancellationToken) ?? new GrantFact(grantId, cameraId);
        var next = change(current);
        session.Store(next);
        return next;
    }

    public static void AddStreamingFactConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(CameraEndpoint, typeof(CameraRegisteredConsumer), typeof(RecordingStartedConsumer), typeof(RecordingStoppedConsumer))
            .AddFactEndpoint(GrantEndpoint, typeof(GrantRevokedConsumer), typeof(GrantExpiredConsumer), typeof(GrantExtendedConsumer));
}

/// <summary>Loads cameras and grants into memory before the bus starts taking messages.</summary>
public sealed class FactsLoader(IDocumentStore store, CameraBook cameras, GrantBook grants) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await cameras.LoadAsync(store, cancellationToken);
        await grants.LoadAsync(store, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
