using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

public sealed class RecordingStartedConsumer(FactWriter writer) : IdempotentConsumer<RecordingStarted>(writer)
{
    protected override DocumentKey? Loads(RecordingStarted m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        Recording.StoreAsync(session, context.Message.CameraId, true, context.Message.OccurredAt, context.CancellationToken);
}
