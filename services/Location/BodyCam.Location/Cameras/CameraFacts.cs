using BodyCam.Contracts.Cameras;
using BodyCam.Location.Map;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

// A camera's lifecycle facts, each stored as its facet and then applied to the live map. They share
// one endpoint taken one message at a time, so a camera's facts apply in the order it had them.

public sealed class CameraAssignedConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<CameraAssigned>(writer)
{
    protected override Task Handle(ConsumeContext<CameraAssigned> context, IDocumentSession session)
    {
        var m = context.Message;
        session.Store(new AssignmentFacet(m.CameraId, m.OfficerId, m.Callsign, m.Command, m.OccurredAt));
        session.Store(new AssignmentPeriod(AssignmentPeriod.IdOf(m.CameraId, m.OccurredAt), m.CameraId, m.OfficerId, m.OccurredAt, null));
        return Task.CompletedTask;
    }

    protected override void Committed(ConsumeContext<CameraAssigned> context) =>
        map.Assign(context.Message.CameraId, context.Message.OfficerId, context.Message.Callsign, context.Message.Command);
}

public sealed class CameraDockedConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<CameraDocked>(writer)
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

    protected override void Committed(ConsumeContext<CameraDocked> context)
    {
        if (map.Entry(context.Message.CameraId)?.OfficerId == context.Message.OfficerId)
        {
            map.Dock(context.Message.CameraId);
        }
    }
}

public sealed class RecordingStartedConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<RecordingStarted>(writer)
{
    protected override DocumentKey? Loads(RecordingStarted m) => DocumentKey.Of<RecordingFacet>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        RecordingFacts.StoreAsync(session, context.Message.CameraId, true, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStarted> context) =>
        map.Record(context.Message.CameraId, true, context.Message.OccurredAt);
}

public sealed class RecordingStoppedConsumer(FactWriter writer, LiveMap map) : IdempotentConsumer<RecordingStopped>(writer)
{
    protected override DocumentKey? Loads(RecordingStopped m) => DocumentKey.Of<RecordingFacet>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStopped> context, IDocumentSession session) =>
        RecordingFacts.StoreAsync(session, context.Message.CameraId, false, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStopped> context) =>
        map.Record(context.Message.CameraId, false, context.Message.OccurredAt);
}

internal static class RecordingFacts
{
    public static async Task StoreAsync(IDocumentSession session, string cameraId, bool recording, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var current = await session.LoadAsync<RecordingFacet>(cameraId, cancellationToken);
        if (current is null || current.ChangedAt <= at)
        {
            session.Store(new RecordingFacet(cameraId, recording, at));
        }
    }
}

public static class CameraFactConsumers
{
    public const string Endpoint = "location-camera-facts";

    public static void AddCameraFactConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(Endpoint,
            typeof(CameraAssignedConsumer), typeof(CameraDockedConsumer), typeof(RecordingStartedConsumer), typeof(RecordingStoppedConsumer),
            typeof(StreamWentLiveConsumer), typeof(StreamEndedConsumer), typeof(ViewerSessionStartedConsumer), typeof(ViewerSessionEndedConsumer));
}
