using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

/// <summary>A camera a view request may name; a request for any other camera is refused as unknown.</summary>
public sealed record WatchableCamera(string Id, DateTimeOffset RegisteredAt);

public sealed class CameraRegisteredConsumer(IDocumentStore store, TimeProvider time)
    : IdempotentConsumer<CameraRegistered>(store, time)
{
    protected override Task Handle(ConsumeContext<CameraRegistered> context, IDocumentSession session)
    {
        session.Store(new WatchableCamera(context.Message.CameraId, context.Message.OccurredAt));
        return Task.CompletedTask;
    }
}
