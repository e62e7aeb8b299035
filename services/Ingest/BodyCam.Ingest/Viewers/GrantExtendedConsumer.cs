using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

public sealed class GrantExtendedConsumer(FactWriter writer) : IdempotentConsumer<GrantExtended>(writer)
{
    protected override DocumentKey? Loads(GrantExtended m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override async Task Handle(ConsumeContext<GrantExtended> context, IDocumentSession session)
    {
        var current = await session.LoadAsync<CameraViewers>(context.Message.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == context.Message.GrantId) is { } viewer)
        {
            session.Replace(current, current.With(viewer with { Until = context.Message.ExpiresAt }));
        }
    }
}
