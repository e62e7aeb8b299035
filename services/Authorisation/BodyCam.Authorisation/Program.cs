using BodyCam.Authorisation;
using BodyCam.ServiceDefaults.Messaging.Redelivery;
using BodyCam.Authorisation.Cameras;
using BodyCam.Authorisation.Grants.Approving;
using BodyCam.Authorisation.Grants.Checking;
using BodyCam.Authorisation.Grants.Expiring;
using BodyCam.Authorisation.Grants.Extending;
using BodyCam.Authorisation.Grants.Listing;
using BodyCam.Authorisation.Grants.Requesting;
using BodyCam.Authorisation.Grants.Revoking;
using BodyCam.Authorisation.Policy;
using BodyCam.Authorisation.Tokens;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Security;
using Marten;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("authorisation");
builder.AddRefusalAudit();
builder.AddEventStore("authorisation", AuthorisationStore.Configure);
builder.AddMessageBus(bus => bus.AddCameraConsumers());
builder.Services.AddSingleton<PolicyStore>();
builder.Services.AddHostedService<PolicyVersions>();
builder.Services.AddSigningKeysOnRecord("authorisation", sp => [("stream-tokens", sp.GetRequiredService<StreamTokens>().KeyId)]);
builder.Services.AddSingleton<StreamTokens>();
builder.Services.AddHostedService<GrantExpiry>();

var app = builder.Build();
if (await app.DeployTopologyIfAskedAsync())
{
    return;
}

app.UseServiceDefaults();
app.MapDeadLetters("/api/authorisation");

var authorisation = app.MapGroup("/api/authorisation").WithTags("Authorisation");
authorisation.MapGetPolicy();
authorisation.MapStreamTokenKeys();
authorisation.MapGetWatchableCamera();
var requests = authorisation.MapGroup("/view-requests");
requests.MapRequestView();
requests.MapDecidePendingRequests();
var grants = authorisation.MapGroup("/grants");
grants.MapListGrants();
grants.MapExtendGrant();
grants.MapRevokeGrant();
grants.MapCheckGrant();

app.Run();
