using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Live;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Cameras;

/// <summary>A camera that stops recording may no longer be watched: its viewers are cut off now.</summary>
public sealed class RecordingStoppedConsumer(FactWriter writer, CameraBook cameras, LiveStreams streams) : IdempotentConsumer<RecordingStopped>(writer)
{
    protected override DocumentKey? Loads(RecordingStopped m) => DocumentKey.Of<StreamingCamera>(m.CameraId);

    private StreamingCamera? _stored;

    protected override async Task Handle(ConsumeContext<RecordingStopped> context, IDocumentSession session) =>
        _stored = await CameraFacts.RecordAsync(session, context.Message.CameraId, false, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStopped> context)
    {
        cameras.Set(_stored!);
        streams.CutOffCamera(context.Message.CameraId, EndReasons.RecordingStopped, "The camera stopped recording.");
    }
}
