using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

public static class CameraConsumers
{
    public const string Endpoint = "authorisation-camera-facts";

    public static void AddCameraConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(Endpoint, typeof(CameraRegisteredConsumer), typeof(CameraAssignedConsumer), typeof(CameraDockedConsumer), typeof(RecordingStartedConsumer), typeof(RecordingStoppedConsumer));
}
