using BodyCam.Contracts.Cameras;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class RecordingStoppedConsumer(FactWriter writer, MapChanges changes) : IdempotentConsumer<RecordingStopped>(writer)
{
    protected override DocumentKey? Loads(RecordingStopped m) => DocumentKey.Of<RecordingFacet>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStopped> context, IDocumentSession session) =>
        RecordingFacts.StoreAsync(session, context.Message.CameraId, false, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStopped> context) =>
        changes.Share(new MapFact(context.Message.CameraId) { Recording = new RecordingFacet(context.Message.CameraId, false, context.Message.OccurredAt) });
}
