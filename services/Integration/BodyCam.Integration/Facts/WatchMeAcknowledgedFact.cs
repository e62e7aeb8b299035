using BodyCam.Contracts.Cameras;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class WatchMeAcknowledgedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<WatchMeAcknowledged>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<WatchMeAcknowledged> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.WatchMeAcknowledged,
            data: c => new { camera = c.Describe(), acknowledgedBy = context.Message.ActorId });
}
