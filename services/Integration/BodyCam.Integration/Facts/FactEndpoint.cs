using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using MassTransit;

namespace BodyCam.Integration.Facts;

public static class FactEndpoint
{
    public const string Name = "integration-facts";

    public static void AddFactConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(Name,
            typeof(CameraAssignedFact), typeof(CameraDockedFact), typeof(RecordingStartedFact), typeof(RecordingStoppedFact),
            typeof(WatchMeRequestedFact), typeof(WatchMeAcknowledgedFact), typeof(StreamWentLiveFact), typeof(StreamEndedFact),
            typeof(ViewerSessionStartedFact), typeof(ViewerSessionEndedFact), typeof(OperationOpenedFact), typeof(TelemetryFact), typeof(BookmarkMarkedFact));
}
