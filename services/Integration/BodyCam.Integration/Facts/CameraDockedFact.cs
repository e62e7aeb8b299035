using BodyCam.Contracts.Cameras;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class CameraDockedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<CameraDocked>(writer, feed, signal)
{
    protected override async Task Handle(ConsumeContext<CameraDocked> context, IDocumentSession session)
    {
        var m = context.Message;
        var before = await CameraAsync(session, m.CameraId, context.CancellationToken);
        await Feed.AppendAsync(session, EventId(context), EventTypes.CameraDocked, before, m.CameraId, m.OccurredAt, before.Describe(), context.CancellationToken);
        session.Store(before with { OfficerId = null, Callsign = null, Command = null, Recording = false, Lat = null, Lon = null, PositionAt = null, InOperations = [] });
    }
}
