using BodyCam.Contracts.Streaming;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class StreamWentLiveConsumer(FactWriter writer, MapChanges changes) : IdempotentConsumer<StreamWentLive>(writer)
{
    protected override DocumentKey? Loads(StreamWentLive m) => DocumentKey.Of<StreamingFacet>(m.CameraId);

    private StreamingFacet? _stored;

    protected override async Task Handle(ConsumeContext<StreamWentLive> context, IDocumentSession session) =>
        _stored = await StreamingFacts.StoreAsync(session, context.Message.CameraId, context.Message.OccurredAt, f => f with { Live = true }, context.CancellationToken);

    protected override void Committed(ConsumeContext<StreamWentLive> context) => StreamingFacts.Share(changes, _stored);
}
