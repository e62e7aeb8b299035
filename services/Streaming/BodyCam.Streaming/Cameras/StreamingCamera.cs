using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Cameras;

/// <summary>
/// A camera that may push live media, and the device client that owns it: a push is accepted only
/// from that client.
/// </summary>
public sealed record StreamingCamera(string Id, string ClientId, DateTimeOffset RegisteredAt);

public sealed class CameraRegisteredConsumer(IDocumentStore store, TimeProvider time)
    : IdempotentConsumer<CameraRegistered>(store, time)
{
    protected override Task Handle(ConsumeContext<CameraRegistered> context, IDocumentSession session)
    {
        var registered = context.Message;
        session.Store(new StreamingCamera(registered.CameraId, registered.ClientId, registered.OccurredAt));
        return Task.CompletedTask;
    }
}
