using BodyCam.Location.Cameras;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("location");
builder.AddEventStore("location");
builder.AddMessageBus(bus => bus.AddConsumer<CameraRegisteredConsumer>());

var app = builder.Build();
app.UseServiceDefaults();

app.Run();
