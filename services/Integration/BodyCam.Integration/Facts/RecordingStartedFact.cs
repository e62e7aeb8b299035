using BodyCam.Contracts.Cameras;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class RecordingStartedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<RecordingStarted>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.RecordingStarted, c => c with { Recording = true });
}
