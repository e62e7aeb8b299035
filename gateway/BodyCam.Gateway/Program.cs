using BodyCam.Gateway.Console;
using BodyCam.Gateway.Identity;
using BodyCam.Gateway.Proxy;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Security;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("gateway");
builder.AddRefusalAudit();
builder.AddIdentityServer();
// The gateway's own facts (tokens it refuses) are stored in its identity schema and published like any service's.
builder.AddEventStore("identity");
builder.AddMessageBus();
builder.AddRateLimits();
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
// A camera's push and all its viewers go to one streaming node (the streaming cluster's policy).
builder.Services.AddSingleton<Yarp.ReverseProxy.LoadBalancing.ILoadBalancingPolicy, BodyCam.Gateway.Proxy.CameraAffinity>();
// How it connects to services: a node lost without a word leaves within seconds.
builder.Services.AddUpstreamConnections(builder.Configuration);
builder.Services.AddHealthChecks().AddServiceHealthChecks(builder.Configuration);

var app = builder.Build();
app.UseConsole();
app.UseServiceDefaults(
    beforeAuthentication: a => a.UseWhen(c => c.Request.Path.StartsWithSegments("/connect"), early => early.UseRateLimits()),
    afterAuthentication: a => a.UseWhen(c => !c.Request.Path.StartsWithSegments("/connect"), late => late.UseRateLimits()));
app.UseLivePushLimits();
app.MapIdentityEndpoints();
app.MapReverseProxy(LostNodes.UseProxySteps);

app.Run();
