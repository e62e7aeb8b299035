using BodyCam.Ingest.Cameras.Credentials;
using BodyCam.Ingest.Cameras.Registering;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("ingest");
builder.AddEventStore("ingest");
builder.AddMessageBus();
builder.Services.AddHttpClient<DeviceCredentials>(http =>
    http.BaseAddress = new Uri(builder.Configuration["Identity:Authority"]!));

var app = builder.Build();
app.UseServiceDefaults();

var cameras = app.MapGroup("/api/ingest/cameras").WithTags("Cameras");
cameras.MapRegisterCamera();
cameras.MapIssueCredentials();

app.Run();
