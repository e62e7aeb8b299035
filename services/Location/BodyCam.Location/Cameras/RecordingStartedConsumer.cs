using BodyCam.Contracts.Cameras;
using BodyCam.Location.Map;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class RecordingStartedConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<RecordingStarted>(writer)
{
    protected override DocumentKey? Loads(RecordingStarted m) => DocumentKey.Of<RecordingFacet>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        RecordingFacts.StoreAsync(session, context.Message.CameraId, true, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStarted> context) =>
        map.Record(context.Message.CameraId, true, context.Message.OccurredAt);
}
