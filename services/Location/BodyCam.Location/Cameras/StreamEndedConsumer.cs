using BodyCam.Contracts.Streaming;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class StreamEndedConsumer(FactWriter writer, MapChanges changes) : IdempotentConsumer<StreamEnded>(writer)
{
    protected override DocumentKey? Loads(StreamEnded m) => DocumentKey.Of<StreamingFacet>(m.CameraId);

    private StreamingFacet? _stored;

    protected override async Task Handle(ConsumeContext<StreamEnded> context, IDocumentSession session) =>
        _stored = await StreamingFacts.StoreAsync(session, context.Message.CameraId, context.Message.OccurredAt, f => f with { Live = false, OpenSessions = [] }, context.CancellationToken);

    protected override void Committed(ConsumeContext<StreamEnded> context) => StreamingFacts.Share(changes, _stored);
}
