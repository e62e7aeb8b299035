using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

public sealed class ViewApprovedConsumer(FactWriter writer) : IdempotentConsumer<ViewRequestApproved>(writer)
{
    protected override DocumentKey? Loads(ViewRequestApproved m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override async Task Handle(ConsumeContext<ViewRequestApproved> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken) ?? new CameraViewers(m.CameraId, []);
        session.Replace(current, current.With(new CameraViewer(m.RequestId, m.ViewerId, m.ViewerRole, m.Purpose, m.OccurredAt, m.ExpiresAt)));
    }
}
