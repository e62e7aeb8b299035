using BodyCam.Contracts.Access;
using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;
using MassTransit.Middleware;

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

public sealed class ViewGrantedConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<ViewRequestDecided>(store, time)
{
    protected override async Task Handle(ConsumeContext<ViewRequestDecided> context, IDocumentSession session)
    {
        var m = context.Message;
        if (m is { Decision: "granted", CameraId: { } camera, ExpiresAt: { } until })
        {
            var current = await session.LoadAsync<CameraViewers>(camera, context.CancellationToken) ?? new CameraViewers(camera, []);
            session.Store(current.With(new CameraViewer(m.RequestId, m.ViewerId, m.ViewerRole, m.Purpose, m.OccurredAt, until)));
        }
    }
}

public sealed class ViewApprovedConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<ViewRequestApproved>(store, time)
{
    protected override async Task Handle(ConsumeContext<ViewRequestApproved> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken) ?? new CameraViewers(m.CameraId, []);
        session.Store(current.With(new CameraViewer(m.RequestId, m.ViewerId, m.ViewerRole, m.Purpose, m.OccurredAt, m.ExpiresAt)));
    }
}

public sealed class GrantExtendedConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<GrantExtended>(store, time)
{
    protected override async Task Handle(ConsumeContext<GrantExtended> context, IDocumentSession session)
    {
        var current = await session.LoadAsync<CameraViewers>(context.Message.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == context.Message.GrantId) is { } viewer)
        {
            session.Store(current.With(viewer with { Until = context.Message.ExpiresAt }));
        }
    }
}

public sealed class GrantRevokedConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<GrantRevoked>(store, time)
{
    protected override Task Handle(ConsumeContext<GrantRevoked> context, IDocumentSession session) =>
        GrantEnded.RemoveAsync(session, context.Message.CameraId, context.Message.GrantId, context.CancellationToken);
}

public sealed class GrantExpiredConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<GrantExpired>(store, time)
{
    protected override Task Handle(ConsumeContext<GrantExpired> context, IDocumentSession session) =>
        GrantEnded.RemoveAsync(session, context.Message.CameraId, context.Message.GrantId, context.CancellationToken);
}

/// <summary>A player connected on a grant: the wearer's list shows that viewer watching.</summary>
public sealed class ViewerSessionStartedConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<ViewerSessionStarted>(store, time)
{
    protected override async Task Handle(ConsumeContext<ViewerSessionStarted> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == m.GrantId) is { } viewer)
        {
            session.Store(current.With(viewer with { Sessions = [.. (viewer.Sessions ?? []).Where(s => s != m.SessionId), m.SessionId] }));
        }
    }
}

public sealed class ViewerSessionEndedConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<ViewerSessionEnded>(store, time)
{
    protected override async Task Handle(ConsumeContext<ViewerSessionEnded> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == m.GrantId) is { } viewer)
        {
            session.Store(current.With(viewer with { Sessions = [.. (viewer.Sessions ?? []).Where(s => s != m.SessionId)] }));
        }
    }
}

internal static class GrantEnded
{
    public static async Task RemoveAsync(IDocumentSession session, string cameraId, string grantId, CancellationToken cancellationToken)
    {
        if (await session.LoadAsync<CameraViewers>(cameraId, cancellationToken) is { } current)
        {
            session.Store(current.Without(grantId));
        }
    }
}

public static class ViewerConsumers
{
    public const string Endpoint = "ingest-camera-viewers";

    public const int Partitions = 16;

    public static void AddViewerConsumers(this IBusRegistrationConfigurator bus)
    {
        foreach (var consumer in new[] { typeof(ViewGrantedConsumer), typeof(ViewApprovedConsumer), typeof(GrantExtendedConsumer), typeof(GrantRevokedConsumer), typeof(GrantExpiredConsumer),
            typeof(ViewerSessionStartedConsumer), typeof(ViewerSessionEndedConsumer) })
        {
            bus.AddConsumer(consumer).Endpoint(e =>
            {
                e.Name = Endpoint;
                e.ConcurrentMessageLimit = Partitions;
            });
        }

        // One partition per camera: a camera's grant facts apply in order (an end never overtakes its
        // start) while different cameras' go side by side. One at a time for all cameras drained
        // only about 400 facts a second (measured under the authorisation benchmark).
        bus.AddConfigureEndpointsCallback((name, endpoint) =>
        {
            if (name != Endpoint)
            {
                return;
            }

            var byCamera = new Partitioner(Partitions, new Murmur3UnsafeHashGenerator());
            endpoint.UsePartitioner<ViewRequestDecided>(byCamera, c => KeyOf(c.Message.CameraId));
            endpoint.UsePartitioner<ViewRequestApproved>(byCamera, c => KeyOf(c.Message.CameraId));
            endpoint.UsePartitioner<GrantExtended>(byCamera, c => KeyOf(c.Message.CameraId));
            endpoint.UsePartitioner<GrantRevoked>(byCamera, c => KeyOf(c.Message.CameraId));
            endpoint.UsePartitioner<GrantExpired>(byCamera, c => KeyOf(c.Message.CameraId));
            endpoint.UsePartitioner<ViewerSessionStarted>(byCamera, c => KeyOf(c.Message.CameraId));
            endpoint.UsePartitioner<ViewerSessionEnded>(byCamera, c => KeyOf(c.Message.CameraId));
        });
    }

    private static Guid KeyOf(string? cameraId) =>
        new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(cameraId ?? "")).AsSpan(0, 16));
}
