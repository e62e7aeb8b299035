using BodyCam.ServiceDefaults.Messaging.Redelivery;
using BodyCam.Ingest.Cameras;
using BodyCam.Ingest.Cameras.Assigning;
using BodyCam.Ingest.Cameras.Credentials;
using BodyCam.Ingest.Cameras.Listing;
using BodyCam.Ingest.Cameras.Registering;
using BodyCam.Ingest.Notifications.Following;
using BodyCam.Ingest.Recording.Reporting;
using BodyCam.Ingest.Telemetry.Reporting;
using BodyCam.Ingest.Viewers;
using BodyCam.Ingest.Viewers.Listing;
using BodyCam.Ingest.WatchMe.Acknowledging;
using BodyCam.Ingest.WatchMe.Requesting;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Security;
using JasperFx.Events.Projections;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("ingest");
builder.AddRefusalAudit();
builder.AddEventStore("ingest", options => options.Projections.Snapshot<Camera>(SnapshotLifecycle.Inline));
builder.AddMessageBus(bus =>
{
    bus.AddConsumer<NotificationRelay>().Endpoint(e =>
    {
        // One temporary queue per instance: every instance hears every notification.
        e.InstanceId = $"{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant();
        e.Temporary = true;
    });
    bus.AddViewerConsumers();
});
builder.Services.AddHttpClient<DeviceCredentials>(http =>
    http.BaseAddress = new Uri(builder.Configuration["Identity:Authority"]!));
builder.Services.AddSingleton<KnownCameras>();
builder.Services.AddSingleton<LastSeen>();
builder.Services.AddSingleton<DeviceNotifications>();

var app = builder.Build();
if (await app.DeployTopologyIfAskedAsync())
{
    return;
}

app.UseServiceDefaults();
app.MapDeadLetters("/api/ingest");

var cameras = app.MapGroup("/api/ingest/cameras").WithTags("Cameras");
cameras.MapRegisterCamera();
cameras.MapIssueCredentials();
cameras.MapListCameras();
cameras.MapAssignCamera();
cameras.MapReportTelemetry();
cameras.MapReportRecording();
cameras.MapRequestWatchMe();
cameras.MapAcknowledgeWatchMe();
cameras.MapFollowNotifications();
cameras.MapListViewers();

app.Run();
