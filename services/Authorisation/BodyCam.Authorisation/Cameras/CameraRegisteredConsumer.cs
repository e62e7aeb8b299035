using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

public sealed class CameraRegisteredConsumer(FactWriter writer) : IdempotentConsumer<CameraRegistered>(writer)
{
    protected override DocumentKey? Loads(CameraRegistered m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override async Task Handle(ConsumeContext<CameraRegistered> context, IDocumentSession session)
    {
        if (await session.LoadAsync<WatchableCamera>(context.Message.CameraId, context.CancellationToken) is null)
        {
            session.Store(new WatchableCamera(context.Message.CameraId));
        }
    }
}
