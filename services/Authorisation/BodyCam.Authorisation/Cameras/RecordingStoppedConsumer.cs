using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

public sealed class RecordingStoppedConsumer(FactWriter writer) : IdempotentConsumer<RecordingStopped>(writer)
{
    protected override DocumentKey? Loads(RecordingStopped m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStopped> context, IDocumentSession session) =>
        Recording.StoreAsync(session, context.Message.CameraId, false, context.Message.OccurredAt, context.CancellationToken);
}
