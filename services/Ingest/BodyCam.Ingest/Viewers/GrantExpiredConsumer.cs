using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

public sealed class GrantExpiredConsumer(FactWriter writer) : IdempotentConsumer<GrantExpired>(writer)
{
    protected override DocumentKey? Loads(GrantExpired m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override Task Handle(ConsumeContext<GrantExpired> context, IDocumentSession session) =>
        CameraViewersSession.RemoveAsync(session, context.Message.CameraId, context.Message.GrantId, context.CancellationToken);
}
