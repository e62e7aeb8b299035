using BodyCam.Contracts.Access;
using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

/// <summary>
/// Someone who holds a live grant to watch a camera. <see cref="Watching"/> is true while one of
/// their players is connected (streaming's viewer sessions on that grant).
/// </summary>
public sealed record CameraViewer(string GrantId, string ViewerId, string Role, string Purpose, DateTimeOffset Since, DateTimeOffset Until, IReadOnlyList<string>? Sessions = null)
{
    public bool Watching => Sessions is { Count: > 0 };
}

/// <summary>Who may watch a camera now, kept from authorisation's grant facts.</summary>
public sealed record CameraViewers(string Id, IReadOnlyList<CameraViewer> Viewers)
{
    /// <summary>Adds or replaces a viewer; grants that have run out by then are dropped.</summary>
    public CameraViewers With(CameraViewer viewer) =>
        this with { Viewers = [.. Viewers.Where(v => v.GrantId != viewer.GrantId && v.Until > viewer.Since), viewer] };

    public CameraViewers Without(string grantId) => this with { Viewers = [.. Viewers.Where(v => v.GrantId != grantId)] };
}

public sealed class ViewGrantedConsumer(FactWriter writer) : IdempotentConsumer<ViewRequestDecided>(writer)
{
    protected override DocumentKey? Loads(ViewRequestDecided m) => m.CameraId is { } camera ? DocumentKey.Of<CameraViewers>(camera) : null;

    protected override async Task Handle(ConsumeContext<ViewRequestDecided> context, IDocumentSession session)
    {
        var m = context.Message;
        if (m is { Decision: "granted", CameraId: { } camera, ExpiresAt: { } until })
        {
            var current = await session.LoadAsync<CameraViewers>(camera, context.CancellationToken) ?? new CameraViewers(camera, []);
            session.Replace(current, current.With(new CameraViewer(m.RequestId, m.ViewerId, m.ViewerRole, m.Purpose, m.OccurredAt, until)));
        }
    }
}

public sealed class ViewApprovedConsumer(FactWriter writer) : IdempotentConsumer<ViewRequestApproved>(writer)
{
    protected override DocumentKey? Loads(ViewRequestApproved m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override async Task Handle(ConsumeContext<ViewRequestApproved> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken) ?? new CameraViewers(m.CameraId, []);
        session.Replace(current, current.With(new CameraViewer(m.RequestId, m.ViewerId, m.ViewerRole, m.Purpose, m.OccurredAt, m.ExpiresAt)));
    }
}

public sealed class GrantExtendedConsumer(FactWriter writer) : IdempotentConsumer<GrantExtended>(writer)
{
    protected override DocumentKey? Loads(GrantExtended m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override async Task Handle(ConsumeContext<GrantExtended> context, IDocumentSession session)
    {
        var current = await session.LoadAsync<CameraViewers>(context.Message.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == context.Message.GrantId) is { } viewer)
        {
            session.Replace(current, current.With(viewer with { Until = context.Message.ExpiresAt }));
        }
    }
}

public sealed class GrantRevokedConsumer(FactWriter writer) : IdempotentConsumer<GrantRevoked>(writer)
{
    protected override DocumentKey? Loads(GrantRevoked m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override Task Handle(ConsumeContext<GrantRevoked> context, IDocumentSession session) =>
        CameraViewersSession.RemoveAsync(session, context.Message.CameraId, context.Message.GrantId, context.CancellationToken);
}

public sealed class GrantExpiredConsumer(FactWriter writer) : IdempotentConsumer<GrantExpired>(writer)
{
    protected override DocumentKey? Loads(GrantExpired m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override Task Handle(ConsumeContext<GrantExpired> context, IDocumentSession session) =>
        CameraViewersSession.RemoveAsync(session, context.Message.CameraId, context.Message.GrantId, context.CancellationToken);
}

/// <summary>A player connected on a grant: the wearer's list shows that viewer watching.</summary>
public sealed class ViewerSessionStartedConsumer(FactWriter writer) : IdempotentConsumer<ViewerSessionStarted>(writer)
{
    protected override DocumentKey? Loads(ViewerSessionStarted m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override async Task Handle(ConsumeContext<ViewerSessionStarted> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == m.GrantId) is { } viewer)
        {
            session.Replace(current, current.With(viewer with { Sessions = [.. (viewer.Sessions ?? []).Where(s => s != m.SessionId), m.SessionId] }));
        }
    }
}

public sealed class ViewerSessionEndedConsumer(FactWriter writer) : IdempotentConsumer<ViewerSessionEnded>(writer)
{
    protected override DocumentKey? Loads(ViewerSessionEnded m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override async Task Handle(ConsumeContext<ViewerSessionEnded> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == m.GrantId) is { } viewer)
        {
            session.Replace(current, current.With(viewer with { Sessions = [.. (viewer.Sessions ?? []).Where(s => s != m.SessionId)] }));
        }
    }
}

internal static class CameraViewersSession
{
    /// <summary>
    /// Stores <paramref name="next"/> in place of <paramref name="previous"/>. A batch of facts
    /// (the fact writer's) often changes one camera's list many times: each Store would queue its
    /// own upsert of the whole list, so the one queued for the version this replaces is taken back
    /// and the batch writes each list once, in its last state.
    /// </summary>
    public static void Replace(this IDocumentSession session, CameraViewers previous, CameraViewers next)
    {
        session.Eject(previous);
        session.Store(next);
    }

    public static async Task RemoveAsync(IDocumentSession session, string cameraId, string grantId, CancellationToken cancellationToken)
    {
        if (await session.LoadAsync<CameraViewers>(cameraId, cancellationToken) is { } current)
        {
            session.Replace(current, current.Without(grantId));
        }
    }
}

public static class ViewerConsumers
{
    public const string Endpoint = "ingest-camera-viewers";

    public static void AddViewerConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(Endpoint,
            typeof(ViewGrantedConsumer), typeof(ViewApprovedConsumer), typeof(GrantExtendedConsumer), typeof(GrantRevokedConsumer), typeof(GrantExpiredConsumer),
            typeof(ViewerSessionStartedConsumer), typeof(ViewerSessionEndedConsumer));
}
