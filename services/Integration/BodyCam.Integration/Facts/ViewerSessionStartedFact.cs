using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Streaming;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

/// <summary>
/// Viewer sessions go out only where the force's policy allows it (<c>Integration:ShareViewers</c>,
/// off by default): who watches an officer is itself sensitive.
/// </summary>
public sealed class ViewerSessionStartedFact(FactWriter writer, FeedWriter feed, FeedSignal signal, IConfiguration configuration)
    : FactConsumer<ViewerSessionStarted>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<ViewerSessionStarted> context, IDocumentSession session) =>
        configuration.GetValue("Integration:ShareViewers", false)
            ? ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.ViewerStarted,
                data: c => new { camera = c.Describe(), viewerId = context.Message.ViewerId, grantId = context.Message.GrantId })
            : Task.CompletedTask;
}
