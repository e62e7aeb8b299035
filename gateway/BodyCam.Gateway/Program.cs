using BodyCam.Gateway.Identity;
using BodyCam.Gateway.Proxy;
using BodyCam.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("gateway");
builder.AddIdentityServer();
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
builder.Services.AddHealthChecks().AddServiceHealthChecks(builder.Configuration);

var app = builder.Build();
app.UseServiceDefaults();
app.MapIdentityEndpoints();
app.MapReverseProxy();

app.Run();
