using BodyCam.Audit.Chain;
using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.Audit.Chain.Verifying;
using BodyCam.Audit.Events.Querying;
using BodyCam.Audit.Events.Replaying;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using Marten;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("audit");
builder.AddEventStore("audit", options =>
{
    options.Schema.For<AuditEntry>()
        .Duplicate(e => e.CameraId)
        .Duplicate(e => e.OfficerId)
        .Duplicate(e => e.ViewerId)
        .Duplicate(e => e.IncidentRef)
        .Duplicate(e => e.Type)
        .Duplicate(e => e.At);
});
builder.AddMessageBus(bus => bus.AddRecordingConsumers());
builder.Services.AddSingleton<AuditChain>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditChain>());
builder.Services.AddSingleton<CheckpointSigner>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<CheckpointSigner>());

var app = builder.Build();
app.UseServiceDefaults();

var audit = app.MapGroup("/api/audit").WithTags("Audit");
audit.MapQueryEvents();
audit.MapVerifyChain();
audit.MapListCheckpoints();
audit.MapReplayTimeline();

app.Run();
