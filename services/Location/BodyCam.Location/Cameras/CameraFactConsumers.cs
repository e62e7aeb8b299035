using BodyCam.Location.Map;
using BodyCam.ServiceDefaults.Messaging;
using MassTransit;

namespace BodyCam.Location.Cameras;

/// <summary>
/// A camera's lifecycle facts, each stored as its facet and then applied to the live map. They share
/// one endpoint taken one message at a time, so a camera's facts apply in the order it had them.
/// </summary>
public static class CameraFactConsumers
{
    public const string Endpoint = "location-camera-facts";

    public static void AddCameraFactConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(Endpoint,
            typeof(CameraAssignedConsumer), typeof(CameraDockedConsumer), typeof(RecordingStartedConsumer), typeof(RecordingStoppedConsumer),
            typeof(StreamWentLiveConsumer), typeof(StreamEndedConsumer), typeof(ViewerSessionStartedConsumer), typeof(ViewerSessionEndedConsumer));
}
