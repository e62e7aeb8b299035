using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Cameras;

public sealed class RecordingStartedConsumer(FactWriter writer, CameraBook cameras) : IdempotentConsumer<RecordingStarted>(writer)
{
    protected override DocumentKey? Loads(RecordingStarted m) => DocumentKey.Of<StreamingCamera>(m.CameraId);

    private StreamingCamera? _stored;

    protected override async Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        _stored = await CameraFacts.RecordAsync(session, context.Message.CameraId, true, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStarted> context) => cameras.Set(_stored!);
}
