using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

public sealed class ViewGrantedConsumer(FactWriter writer) : IdempotentConsumer<ViewRequestDecided>(writer)
{
    protected override DocumentKey? Loads(ViewRequestDecided m) => m.CameraId is { } camera ? DocumentKey.Of<CameraViewers>(camera) : null;

    protected override async Task Handle(ConsumeContext<ViewRequestDecided> context, IDocumentSession session)
    {
        var m = context.Message;
        if (m is { Decision: "granted", CameraId: { } camera, ExpiresAt: { } until })
        {
            var current = await session.LoadAsync<CameraViewers>(camera, context.CancellationToken) ?? new CameraViewers(camera, []);
            session.Replace(current, current.With(new CameraViewer(m.RequestId, m.ViewerId, m.ViewerRole, m.Purpose, m.OccurredAt, until)));
        }
    }
}
