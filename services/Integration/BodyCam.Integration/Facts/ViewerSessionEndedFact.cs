using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Streaming;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class ViewerSessionEndedFact(FactWriter writer, FeedWriter feed, FeedSignal signal, IConfiguration configuration)
    : FactConsumer<ViewerSessionEnded>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<ViewerSessionEnded> context, IDocumentSession session) =>
        configuration.GetValue("Integration:ShareViewers", false)
            ? ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.ViewerEnded,
                data: c => new { camera = c.Describe(), viewerId = context.Message.ViewerId, grantId = context.Message.GrantId, reason = context.Message.Reason })
            : Task.CompletedTask;
}
