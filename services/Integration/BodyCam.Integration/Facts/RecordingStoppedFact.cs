using BodyCam.Contracts.Cameras;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class RecordingStoppedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<RecordingStopped>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<RecordingStopped> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.RecordingStopped, c => c with { Recording = false });
}
