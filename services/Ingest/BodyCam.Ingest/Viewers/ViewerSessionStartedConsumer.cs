using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

/// <summary>A player connected on a grant: the wearer's list shows that viewer watching.</summary>
public sealed class ViewerSessionStartedConsumer(FactWriter writer) : IdempotentConsumer<ViewerSessionStarted>(writer)
{
    protected override DocumentKey? Loads(ViewerSessionStarted m) => DocumentKey.Of<CameraViewers>(m.CameraId);

    protected override async Task Handle(ConsumeContext<ViewerSessionStarted> context, IDocumentSession session)
    {
        var m = context.Message;
        var current = await session.LoadAsync<CameraViewers>(m.CameraId, context.CancellationToken);
        if (current?.Viewers.FirstOrDefault(v => v.GrantId == m.GrantId) is { } viewer)
        {
            session.Replace(current, current.With(viewer with { Sessions = [.. (viewer.Sessions ?? []).Where(s => s != m.SessionId), m.SessionId] }));
        }
    }
}
