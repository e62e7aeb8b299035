using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

public sealed class CameraDockedConsumer(FactWriter writer) : IdempotentConsumer<CameraDocked>(writer)
{
    protected override DocumentKey? Loads(CameraDocked m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override async Task Handle(ConsumeContext<CameraDocked> context, IDocumentSession session)
    {
        var camera = await session.LoadAsync<WatchableCamera>(context.Message.CameraId, context.CancellationToken);
        if (camera is not null && camera.WearerId == context.Message.OfficerId)
        {
            session.Store(camera with { WearerId = null, WearerCommand = null });
        }
    }
}
