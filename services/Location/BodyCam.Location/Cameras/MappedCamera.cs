using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Location.Cameras;

/// <summary>A camera the live map may show once it is assigned to an officer and reports a position.</summary>
public sealed record MappedCamera(string Id, string Model, DateTimeOffset RegisteredAt);

public sealed class CameraRegisteredConsumer(IDocumentStore store, TimeProvider time)
    : IdempotentConsumer<CameraRegistered>(store, time)
{
    protected override Task Handle(ConsumeContext<CameraRegistered> context, IDocumentSession session)
    {
        var registered = context.Message;
        session.Store(new MappedCamera(registered.CameraId, registered.Model, registered.OccurredAt));
        return Task.CompletedTask;
    }
}
