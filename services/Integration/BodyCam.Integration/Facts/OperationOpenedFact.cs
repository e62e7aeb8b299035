using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

public sealed class OperationOpenedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<OperationOpened>(writer, feed, signal)
{
    // It looks at every camera's position: alone, it sees every position stored before it.
    protected override bool Alone => true;

    protected override async Task Handle(ConsumeContext<OperationOpened> context, IDocumentSession session)
    {
        var m = context.Message;
        var area = new OperationArea(m.OperationId, m.Name, m.Kind, m.Area, m.IncidentRef);
        session.Store(area);
        await Feed.AppendAsync(session, EventId(context), EventTypes.OperationOpened, null, m.OperationId, m.OccurredAt,
            new { operationId = m.OperationId, name = m.Name, kind = m.Kind, incidentRef = m.IncidentRef, area = new { type = "Polygon", coordinates = new[] { m.Area } } },
            context.CancellationToken, operations: [area]);

        // Cameras already inside the new area have entered it.
        var cameras = await session.Query<CameraState>().Where(c => c.Lat != null && c.OfficerId != null).ToListAsync(context.CancellationToken);
        foreach (var camera in cameras.Where(c => area.Contains(c.Lat!.Value, c.Lon!.Value)))
        {
            var moved = camera with { InOperations = [.. camera.Operations, area] };
            session.Store(moved);
            await MembershipAsync(context, session, camera.Id, EventTypes.OperationEntered, moved, moved, area, m.OccurredAt);
        }
    }
}
