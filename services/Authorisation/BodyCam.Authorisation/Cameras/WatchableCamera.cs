using BodyCam.Authorisation.Policy;
using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

/// <summary>
/// A camera a view request may name: who wears it now, their command, whether it records. Kept from
/// ingest's facts, which share one endpoint taken one at a time, so they apply in order.
/// </summary>
public sealed record WatchableCamera(string Id, string? WearerId = null, string? WearerCommand = null, bool Recording = false, DateTimeOffset? RecordingChangedAt = null)
{
    public CameraState State => new(Id, WearerId, WearerCommand, Recording);
}

public sealed class CameraRegisteredConsumer(FactWriter writer) : IdempotentConsumer<CameraRegistered>(writer)
{
    protected override DocumentKey? Loads(CameraRegistered m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override async Task Handle(ConsumeContext<CameraRegistered> context, IDocumentSession session)
    {
        if (await session.LoadAsync<WatchableCamera>(context.Message.CameraId, context.CancellationToken) is null)
        {
            session.Store(new WatchableCamera(context.Message.CameraId));
        }
    }
}

public sealed class CameraAssignedConsumer(FactWriter writer) : IdempotentConsumer<CameraAssigned>(writer)
{
    protected override DocumentKey? Loads(CameraAssigned m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override async Task Handle(ConsumeContext<CameraAssigned> context, IDocumentSession session)
    {
        var m = context.Message;
        var camera = await session.LoadAsync<WatchableCamera>(m.CameraId, context.CancellationToken) ?? new WatchableCamera(m.CameraId);
        session.Store(camera with { WearerId = m.OfficerId, WearerCommand = m.Command });
    }
}

public sealed class CameraDockedConsumer(FactWriter writer) : IdempotentConsumer<CameraDocked>(writer)
{
    protected override DocumentKey? Loads(CameraDocked m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override async Task Handle(ConsumeContext<CameraDocked> context, IDocumentSession session)
    {
        var camera = await session.LoadAsync<WatchableCamera>(context.Message.CameraId, context.CancellationToken);
        if (camera is not null && camera.WearerId == context.Message.OfficerId)
        {
            session.Store(camera with { WearerId = null, WearerCommand = null });
        }
    }
}

public sealed class RecordingStartedConsumer(FactWriter writer) : IdempotentConsumer<RecordingStarted>(writer)
{
    protected override DocumentKey? Loads(RecordingStarted m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        Recording.StoreAsync(session, context.Message.CameraId, true, context.Message.OccurredAt, context.CancellationToken);
}

public sealed class RecordingStoppedConsumer(FactWriter writer) : IdempotentConsumer<RecordingStopped>(writer)
{
    protected override DocumentKey? Loads(RecordingStopped m) => DocumentKey.Of<WatchableCamera>(m.CameraId);

    protected override Task Handle(ConsumeContext<RecordingStopped> context, IDocumentSession session) =>
        Recording.StoreAsync(session, context.Message.CameraId, false, context.Message.OccurredAt, context.CancellationToken);
}

internal static class Recording
{
    public static async Task StoreAsync(IDocumentSession session, string cameraId, bool recording, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var camera = await session.LoadAsync<WatchableCamera>(cameraId, cancellationToken) ?? new WatchableCamera(cameraId);
        if (camera.RecordingChangedAt is null || camera.RecordingChangedAt <= at)
        {
            session.Store(camera with { Recording = recording, RecordingChangedAt = at });
        }
    }
}

public static class CameraConsumers
{
    public const string Endpoint = "authorisation-camera-facts";

    public static void AddCameraConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(Endpoint, typeof(CameraRegisteredConsumer), typeof(CameraAssignedConsumer), typeof(CameraDockedConsumer), typeof(RecordingStartedConsumer), typeof(RecordingStoppedConsumer));
}
