using BodyCam.ServiceDefaults.Messaging.Redelivery;
using BodyCam.Integration.Facts;
using BodyCam.Integration.Feed;
using BodyCam.Integration.Feed.Following;
using BodyCam.Integration.Incidents;
using BodyCam.Integration.Webhooks;
using BodyCam.Integration.Webhooks.DeadLetters;
using BodyCam.Integration.Webhooks.Delivering;
using BodyCam.Integration.Webhooks.Listing;
using BodyCam.Integration.Webhooks.Removing;
using BodyCam.Integration.Webhooks.Subscribing;
using BodyCam.Integration.Webhooks.Targets;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore.DataProtection;
using Weasel.Postgresql;

// The integration service is built from contracts/ and its own store only, as any extension of
// BodyCam would be (docs/extending.md): it hears the other services' facts and tells CAD systems.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("integration");
builder.AddRefusalAudit();
builder.AddEventStore("integration", options =>
{
    options.Storage.ExtendedSchemaObjects.Add(new Sequence(new PostgresqlObjectName(options.DatabaseSchemaName, FeedWriter.SequenceName, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General)));
    options.Schema.For<Delivery>().Duplicate(d => d.SubscriptionId).Duplicate(d => d.State).Duplicate(d => d.Seq);
    options.Schema.For<WebhookSubscription>().Duplicate(s => s.OwnerId);
    options.Schema.For<CameraState>().Duplicate(c => c.Recording);
});
builder.Services.AddSingleton<WebhookTargets>();
builder.Services.AddSingleton<WebhookSecrets>();
builder.Services.AddHostedService<WebhookSecretsMigration>();
// The keys that encrypt webhook secrets live with the service, never in its database.
var keyRing = builder.Services.AddDataProtection().SetApplicationName("bodycam-integration");
if (builder.Configuration["DataProtection:KeyRingPath"] is { } keyRingPath)
{
    keyRing.PersistKeysToFileSystem(new DirectoryInfo(keyRingPath));
}

builder.Services.AddSingleton<FeedWriter>();
builder.Services.AddSingleton<FeedSignal>();
builder.Services.AddSingleton<PositionSampling>();
builder.Services.AddHttpClient(IncidentCameras.LocationClient, c => c.BaseAddress = IncidentCameras.LocationUrl(builder.Configuration));
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way out of the defaults.
builder.Services.AddHttpClient(WebhookDispatcher.Client, c =>
    {
        c.Timeout = Timeout.InfiniteTimeSpan; // each attempt has its own timeout (Polly)
        c.DefaultRequestHeaders.UserAgent.ParseAdd("BodyCam-Webhooks/1.0");
    })
    // A receiver's redirect is not followed: deliveries go only where the subscription says. Every
    // connection resolves and checks its target itself (WebhookTargets): nothing inside is called.
    .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        UseProxy = false,
        ConnectCallback = services.GetRequiredService<WebhookTargets>().ConnectAsync,
    })
    // The dispatcher's own pipeline retries and times out each delivery; the default handler's
    // retries inside it would multiply the attempts and hide the receiver's answer.
    .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
builder.Services.AddHostedService<WebhookDispatcher>();
builder.AddMessageBus(bus => bus.AddFactConsumers());

var app = builder.Build();
if (await app.DeployTopologyIfAskedAsync())
{
    return;
}

app.UseServiceDefaults();
app.MapDeadLetters("/api/integrations");

var integrations = app.MapGroup("/api/integrations").WithTags("Integration");
var webhooks = integrations.MapGroup("/webhooks");
webhooks.MapSubscribeWebhook();
webhooks.MapListWebhooks();
webhooks.MapRemoveWebhook();
webhooks.MapDeadLetters();
integrations.MapGroup("/events").MapFollowFeed();
integrations.MapGroup("/incidents").MapIncidentCameras();

app.Run();
