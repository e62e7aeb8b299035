using BodyCam.Location.Cameras;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Following;
using BodyCam.Location.Map.Sharing;
using BodyCam.Location.Officers.Listing;
using BodyCam.Location.Officers.Nearest;
using BodyCam.Location.Officers.Tracking;
using BodyCam.Location.Operations;
using BodyCam.Location.Operations.Listing;
using BodyCam.Location.Operations.Opening;
using BodyCam.Location.Telemetry;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Messaging.Redelivery;
using BodyCam.ServiceDefaults.Security;
using MassTransit;
using JasperFx.Events.Projections;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("location");
builder.AddRefusalAudit();
builder.AddEventStore("location", options =>
{
    options.Projections.Snapshot<Operation>(SnapshotLifecycle.Inline);
    options.Storage.ExtendedSchemaObjects.Add(TrackPoints.Definition(options.DatabaseSchemaName));
    options.Schema.For<AssignmentPeriod>().Duplicate(p => p.OfficerId);
});
builder.Services.AddSingleton<LiveMap>();
builder.Services.AddSingleton<TrackPoints>();
builder.Services.AddSingleton<OperationAreas>();
// Each instance keeps the whole map: what one stores, it passes on to the others (Map/Sharing).
var instance = LocationInstance.From(builder.Configuration);
builder.Services.AddSingleton(instance);
builder.Services.AddSingleton<MapChanges>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<MapChanges>());
// Registered before the bus, so the map is rebuilt before any message is taken.
builder.Services.AddSingleton<MapLoader>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<MapLoader>());
builder.Services.AddReceiveEndpointObserver<MapQueueWatch>();
builder.AddMessageBus(bus =>
{
    bus.AddCameraFactConsumers();
    bus.AddTelemetryConsumer();
    // Not in the topology step: its queue is the running instance's own, made when it starts.
    if (!builder.Configuration.GetValue("BodyCam:DeployTopology", false))
    {
        bus.AddMapSharing(instance);
    }
});

var app = builder.Build();
if (await app.DeployTopologyIfAskedAsync())
{
    return;
}

app.UseServiceDefaults();
app.MapDeadLetters("/api/location");

var location = app.MapGroup("/api/location").WithTags("Location");
location.MapFollowMap();
var officers = location.MapGroup("/officers");
officers.MapListOfficers();
officers.MapFindNearest();
officers.MapTrackOfficer();
var operations = location.MapGroup("/operations");
operations.MapOpenOperation();
operations.MapListOperations();

app.Run();
