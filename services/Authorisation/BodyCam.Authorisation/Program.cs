using BodyCam.Authorisation.Cameras;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("authorisation");
builder.AddEventStore("authorisation");
builder.AddMessageBus(bus => bus.AddConsumer<CameraRegisteredConsumer>());

var app = builder.Build();
app.UseServiceDefaults();

app.Run();
