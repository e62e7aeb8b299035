using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Cameras;

public sealed class CameraRegisteredConsumer(FactWriter writer, CameraBook cameras) : IdempotentConsumer<CameraRegistered>(writer)
{
    protected override DocumentKey? Loads(CameraRegistered m) => DocumentKey.Of<StreamingCamera>(m.CameraId);

    private StreamingCamera? _stored;

    protected override async Task Handle(ConsumeContext<CameraRegistered> context, IDocumentSession session)
    {
        var current = await session.LoadAsync<StreamingCamera>(context.Message.CameraId, context.CancellationToken);
        _stored = current ?? new StreamingCamera(context.Message.CameraId, context.Message.OccurredAt);
        session.Store(_stored);
    }

    protected override void Committed(ConsumeContext<CameraRegistered> context) => cameras.Set(_stored!);
}
