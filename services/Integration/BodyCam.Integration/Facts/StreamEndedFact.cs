using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Streaming;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class StreamEndedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<StreamEnded>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<StreamEnded> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.StreamEnded, c => c with { Live = false },
            c => new { camera = c.Describe(), reason = context.Message.Reason });
}
