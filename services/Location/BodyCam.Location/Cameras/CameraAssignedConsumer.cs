using BodyCam.Contracts.Cameras;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

public sealed class CameraAssignedConsumer(FactWriter writer, MapChanges changes) : IdempotentConsumer<CameraAssigned>(writer)
{
    protected override Task Handle(ConsumeContext<CameraAssigned> context, IDocumentSession session)
    {
        var m = context.Message;
        session.Store(new AssignmentFacet(m.CameraId, m.OfficerId, m.Callsign, m.Command, m.OccurredAt));
        session.Store(new AssignmentPeriod(AssignmentPeriod.IdOf(m.CameraId, m.OccurredAt), m.CameraId, m.OfficerId, m.OccurredAt, null));
        return Task.CompletedTask;
    }

    protected override void Committed(ConsumeContext<CameraAssigned> context) =>
        changes.Share(new MapFact(context.Message.CameraId)
        {
            Assigned = new AssignmentFacet(context.Message.CameraId, context.Message.OfficerId, context.Message.Callsign, context.Message.Command, context.Message.OccurredAt),
        });
}
