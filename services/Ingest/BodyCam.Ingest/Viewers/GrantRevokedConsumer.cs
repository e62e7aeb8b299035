using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

public sealed class GrantRevokedConsumer(FactWriter writer) : IdempotentConsumer<GrantRevoked>(writer)
{
    protected override DocumentKey? Loads(GrantRevoked m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override Task Handle(ConsumeContext<GrantRevoked> context, IDocumentSession session) =>
        CameraViewersSession.RemoveAsync(session, context.Message.CameraId, context.Message.GrantId, context.CancellationToken);
}
