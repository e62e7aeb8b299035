using BodyCam.Contracts.Streaming;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class ViewerSessionStartedConsumer(FactWriter writer, MapChanges changes) : IdempotentConsumer<ViewerSessionStarted>(writer)
{
    protected override DocumentKey? Loads(ViewerSessionStarted m) => DocumentKey.Of<StreamingFacet>(m.CameraId);

    private StreamingFacet? _stored;

    protected override async Task Handle(ConsumeContext<ViewerSessionStarted> context, IDocumentSession session) =>
        _stored = await StreamingFacts.StoreAsync(session, context.Message.CameraId, context.Message.OccurredAt,
            f => f with { OpenSessions = [.. f.OpenSessions.Where(s => s != context.Message.SessionId), context.Message.SessionId] }, context.CancellationToken);

    protected override void Committed(ConsumeContext<ViewerSessionStarted> context) => StreamingFacts.Share(changes, _stored);
}
