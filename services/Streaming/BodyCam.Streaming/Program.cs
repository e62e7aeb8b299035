using BodyCam.Streaming.Cameras;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("streaming");
builder.AddEventStore("streaming");
builder.AddMessageBus(bus => bus.AddConsumer<CameraRegisteredConsumer>());

var app = builder.Build();
app.UseServiceDefaults();

app.Run();
