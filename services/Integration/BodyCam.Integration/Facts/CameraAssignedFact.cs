using BodyCam.Contracts.Cameras;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

/// <summary>
/// An officer takes a camera. Facts about different subjects may arrive in either order: a camera
/// whose first positions came before its assignment is already somewhere, and if that is inside an
/// operation's area the officer has entered it now.
/// </summary>
public sealed class CameraAssignedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<CameraAssigned>(writer, feed, signal)
{
    protected override async Task Handle(ConsumeContext<CameraAssigned> context, IDocumentSession session)
    {
        var m = context.Message;
        var camera = await CameraAsync(session, m.CameraId, context.CancellationToken) with { OfficerId = m.OfficerId, Callsign = m.Callsign, Command = m.Command };
        List<OperationArea> entered = [];
        if (camera is { Lat: { } lat, Lon: { } lon })
        {
            var areas = await session.Query<OperationArea>().ToListAsync(context.CancellationToken);
            entered = [.. areas.Where(a => a.Contains(lat, lon) && camera.Operations.All(o => o.Id != a.Id))];
            camera = camera with { InOperations = [.. camera.Operations, .. entered] };
        }

        session.Store(camera);
        await Feed.AppendAsync(session, EventId(context), EventTypes.CameraAssigned, camera, m.CameraId, m.OccurredAt, camera.Describe(), context.CancellationToken);
        foreach (var area in entered)
        {
            await MembershipAsync(context, session, $"entered-{area.Id}", EventTypes.OperationEntered, camera, camera, area, m.OccurredAt);
        }
    }
}
