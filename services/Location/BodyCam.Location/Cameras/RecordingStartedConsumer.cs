using BodyCam.Contracts.Cameras;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class RecordingStartedConsumer(FactWriter writer, MapChanges changes) : IdempotentConsumer<RecordingStarted>(writer)
{
    protected override DocumentKey? Loads(RecordingStarted m) => DocumentKey.Of<RecordingFacet>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        RecordingFacts.StoreAsync(session, context.Message.CameraId, true, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStarted> context) =>
        changes.Share(new MapFact(context.Message.CameraId) { Recording = new RecordingFacet(context.Message.CameraId, true, context.Message.OccurredAt) });
}
