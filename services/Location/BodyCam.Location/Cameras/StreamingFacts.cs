using BodyCam.Contracts.Streaming;
using BodyCam.Location.Map;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

// Streaming's facts about a camera: whether it is live, and who is watching. They share the camera
// facts' endpoint, so they apply in order with the camera's other facts.

public sealed class StreamWentLiveConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<StreamWentLive>(writer)
{
    protected override DocumentKey? Loads(StreamWentLive m) => DocumentKey.Of<StreamingFacet>(m.CameraId);

    private StreamingFacet? _stored;

    protected override async Task Handle(ConsumeContext<StreamWentLive> context, IDocumentSession session) =>
        _stored = await StreamingFacts.StoreAsync(session, context.Message.CameraId, context.Message.OccurredAt, f => f with { Live = true }, context.CancellationToken);

    protected override void Committed(ConsumeContext<StreamWentLive> context) => StreamingFacts.Apply(map, _stored);
}

public sealed class StreamEndedConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<StreamEnded>(writer)
{
    protected override DocumentKey? Loads(StreamEnded m) => DocumentKey.Of<StreamingFacet>(m.CameraId);

    private StreamingFacet? _stored;

    protected override async Task Handle(ConsumeContext<StreamEnded> context, IDocumentSession session) =>
        _stored = await StreamingFacts.StoreAsync(session, context.Message.CameraId, context.Message.OccurredAt, f => f with { Live = false, OpenSessions = [] }, context.CancellationToken);

    protected override void Committed(ConsumeContext<StreamEnded> context) => StreamingFacts.Apply(map, _stored);
}

public sealed class ViewerSessionStartedConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<ViewerSessionStarted>(writer)
{
    protected override DocumentKey? Loads(ViewerSessionStarted m) => DocumentKey.Of<StreamingFacet>(m.CameraId);

    private StreamingFacet? _stored;

    protected override async Task Handle(ConsumeContext<ViewerSessionStarted> context, IDocumentSession session) =>
        _stored = await StreamingFacts.StoreAsync(session, context.Message.CameraId, context.Message.OccurredAt,
            f => f with { OpenSessions = [.. f.OpenSessions.Where(s => s != context.Message.SessionId), context.Message.SessionId] }, context.CancellationToken);

    protected override void Committed(ConsumeContext<ViewerSessionStarted> context) => StreamingFacts.Apply(map, _stored);
}

public sealed class ViewerSessionEndedConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<ViewerSessionEnded>(writer)
{
    protected override DocumentKey? Loads(ViewerSessionEnded m) => DocumentKey.Of<StreamingFacet>(m.CameraId);

    private StreamingFacet? _stored;

    protected override async Task Handle(ConsumeContext<ViewerSessionEnded> context, IDocumentSession session) =>
        _stored = await StreamingFacts.StoreAsync(session, context.Message.CameraId, context.Message.OccurredAt,
            f => f with { OpenSessions = [.. f.OpenSessions.Where(s => s != context.Message.SessionId)] }, context.CancellationToken);

    protected override void Committed(ConsumeContext<ViewerSessionEnded> context) => StreamingFacts.Apply(map, _stored);
}

internal static class StreamingFacts
{
    public static async Task<StreamingFacet> StoreAsync(
        IDocumentSession session, string cameraId, DateTimeOffset at, Func<StreamingFacet, StreamingFacet> change, CancellationToken cancellationToken)
    {
        var current = await session.LoadAsync<StreamingFacet>(cameraId, cancellationToken) ?? new StreamingFacet(cameraId, false, at, []);
        var next = change(current) with { ChangedAt = at };
        session.Store(next);
        return next;
    }

    public static void Apply(LiveMap map, StreamingFacet? facet)
    {
        if (facet is not null)
        {
            map.Stream(facet.Id, facet.Live, facet.OpenSessions.Count);
        }
    }
}
