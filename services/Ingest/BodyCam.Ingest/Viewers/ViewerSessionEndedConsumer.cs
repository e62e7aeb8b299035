using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

public sealed class ViewerSessionEndedConsumer(FactWriter writer) : IdempotentConsumer<ViewerSessionEnded>(writer)
{
    protected override DocumentKey? Loads(ViewerSessionEnded m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override async Task Handle(ConsumeContext<ViewerSessionEnded> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == m.GrantId) is { } viewer)
        {
            session.Replace(current, current.With(viewer with { Sessions = [.. (viewer.Sessions ?? []).Where(s => s != m.SessionId)] }));
        }
    }
}
