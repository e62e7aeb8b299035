using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Cameras;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Grants;

public static class GrantFacts
{
    /// <summary>Camera facts share one endpoint; a camera's apply in order.</summary>
    public const string CameraEndpoint = "streaming-camera-facts";

    /// <summary>
    /// Grant facts have an endpoint of their own: a revocation must never wait behind a queue of camera
    /// facts. A camera's grant facts apply in order: an extension never overtakes a revocation.
    /// </summary>
    public const string GrantEndpoint = "streaming-grant-facts";

    internal static async Task<GrantFact> StoreAsync(IDocumentSession session, string grantId, string cameraId, Func<GrantFact, GrantFact> change, CancellationToken cancellationToken)
    {
        var current = await session.LoadAsync<GrantFact>(grantId, cancellationToken) ?? new GrantFact(grantId, cameraId);
        var next = change(current);
        session.Store(next);
        return next;
    }

    public static void AddStreamingFactConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(CameraEndpoint, typeof(CameraRegisteredConsumer), typeof(RecordingStartedConsumer), typeof(RecordingStoppedConsumer))
            .AddFactEndpoint(GrantEndpoint, typeof(GrantRevokedConsumer), typeof(GrantExpiredConsumer), typeof(GrantExtendedConsumer));
}
