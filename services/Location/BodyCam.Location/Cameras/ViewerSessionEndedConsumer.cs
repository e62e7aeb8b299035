using BodyCam.Contracts.Streaming;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class ViewerSessionEndedConsumer(FactWriter writer, MapChanges changes) : IdempotentConsumer<ViewerSessionEnded>(writer)
{
    protected override DocumentKey? Loads(ViewerSessionEnded m) => DocumentKey.Of<StreamingFacet>(m.CameraId);

    private StreamingFacet? _stored;

    protected override async Task Handle(ConsumeContext<ViewerSessionEnded> context, IDocumentSession session) =>
        _stored = await StreamingFacts.StoreAsync(session, context.Message.CameraId, context.Message.OccurredAt,
            f => f with { OpenSessions = [.. f.OpenSessions.Where(s => s != context.Message.SessionId)] }, context.CancellationToken);

    protected override void Committed(ConsumeContext<ViewerSessionEnded> context) => StreamingFacts.Share(changes, _stored);
}
