using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Messaging;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

public static class ViewerConsumers
{
    public const string Endpoint = "ingest-camera-viewers";

    public static void AddViewerConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(Endpoint,
            typeof(ViewGrantedConsumer), typeof(ViewApprovedConsumer), typeof(GrantExtendedConsumer), typeof(GrantRevokedConsumer), typeof(GrantExpiredConsumer),
            typeof(ViewerSessionStartedConsumer), typeof(ViewerSessionEndedConsumer));
}
