using BodyCam.Contracts.Cameras;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class WatchMeRequestedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<WatchMeRequested>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<WatchMeRequested> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.WatchMeRequested,
            data: c => new { camera = c.Describe(), note = context.Message.Note });
}
