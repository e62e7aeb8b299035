using BodyCam.Contracts.Cameras;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class CameraDockedConsumer(FactWriter writer, MapChanges changes) : IdempotentConsumer<CameraDocked>(writer)
{
    protected override DocumentKey? Loads(CameraDocked m) => DocumentKey.Of<AssignmentFacet>(m.CameraId);

    protected override async Task Handle(ConsumeContext<CameraDocked> context, IDocumentSession session)
    {
        var current = await session.LoadAsync<AssignmentFacet>(context.Message.CameraId, context.CancellationToken);
        if (current?.OfficerId == context.Message.OfficerId)
        {
            session.Delete<AssignmentFacet>(context.Message.CameraId);
            var period = await session.LoadAsync<AssignmentPeriod>(AssignmentPeriod.IdOf(current.Id, current.Since), context.CancellationToken);
            if (period is not null)
            {
                session.Store(period with { Until = context.Message.OccurredAt });
            }
        }
    }

    protected override void Committed(ConsumeContext<CameraDocked> context) =>
        changes.Share(new MapFact(context.Message.CameraId) { DockedFrom = context.Message.OfficerId });
}
