using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Streaming;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class StreamWentLiveFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<StreamWentLive>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<StreamWentLive> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.StreamLive, c => c with { Live = true });
}
