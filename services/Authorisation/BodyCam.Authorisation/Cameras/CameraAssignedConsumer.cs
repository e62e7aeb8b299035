using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

public sealed class CameraAssignedConsumer(FactWriter writer) : IdempotentConsumer<CameraAssigned>(writer)
{
    protected override DocumentKey? Loads(CameraAssigned m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override async Task Handle(ConsumeContext<CameraAssigned> context, IDocumentSession session)
    {
        var m = context.Message;
        var camera = await session.LoadAsync<WatchableCamera>(m.CameraId, context.CancellationToken) ?? new WatchableCamera(m.CameraId);
        session.Store(camera with { WearerId = m.OfficerId, WearerCommand = m.Command });
    }
}
