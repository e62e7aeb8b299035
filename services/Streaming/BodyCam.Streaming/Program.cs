using BodyCam.ServiceDefaults.Messaging.Redelivery;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming;
using BodyCam.Streaming.Bookmarks;
using BodyCam.Streaming.Bookmarks.Listing;
using BodyCam.Streaming.Bookmarks.Marking;
using BodyCam.Streaming.Cameras;
using BodyCam.Streaming.Instructions;
using BodyCam.Streaming.Instructions.Acknowledging;
using BodyCam.Streaming.Instructions.Listing;
using BodyCam.Streaming.Instructions.Sending;
using BodyCam.Streaming.Grants;
using BodyCam.Streaming.Listing;
using BodyCam.Streaming.Live;
using BodyCam.Streaming.Pushing;
using BodyCam.Streaming.Records;
using BodyCam.Streaming.Talk;
using BodyCam.Streaming.Viewing;
using BodyCam.Streaming.Viewing.Hls;
using JasperFx.Events.Projections;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("streaming");
builder.AddRelayTransport();
builder.AddRefusalAudit();
builder.AddEventStore("streaming", options =>
{
    options.Projections.Snapshot<Instruction>(SnapshotLifecycle.Inline);
    options.Projections.Snapshot<Bookmark>(SnapshotLifecycle.Inline);
    options.Schema.For<Instruction>().Index(i => i.CameraId);
    options.Schema.For<Bookmark>().Index(b => b.CameraId).Index(b => b.IncidentRef);
    options.Schema.For<TalkAudio>().Index(a => a.KeepUntil);
    options.Schema.For<TalkAudioPart>().Index(p => p.TalkId);
});
builder.Services.AddSingleton<CameraBook>();
builder.Services.AddSingleton<GrantBook>();
builder.Services.AddSingleton<LiveRecords>();
builder.Services.AddSingleton<LiveStreams>();
builder.Services.AddSingleton<ViewerAdmission>();
builder.Services.AddSingleton<TalkRooms>();
builder.Services.AddSingleton<TalkRecords>();
builder.Services.AddHostedService<TalkRetention>();
builder.Services.AddHttpClient(nameof(StreamTokenVerifier));
builder.Services.AddSingleton<StreamTokenVerifier>();
builder.Services.AddHttpClient(nameof(GrantChecker));
builder.Services.AddHttpClient(BodyCam.Streaming.Listing.ListStreams.PeersClient);
builder.Services.AddSingleton<GrantChecker>();
// Registered before the bus: cameras and grants are in memory before any fact arrives.
builder.Services.AddHostedService<FactsLoader>();
// Several instances: one takes the facts, every one mirrors them from the store (Grants/StoreFollower).
if (builder.Configuration.GetValue("Streaming:FollowStore", false))
{
    builder.Services.AddHostedService<StoreFollower>();
}
builder.Services.AddHostedService<LiveKeeper>();
builder.AddMessageBus(bus => bus.AddStreamingFactConsumers());

var app = builder.Build();
if (await app.DeployTopologyIfAskedAsync())
{
    return;
}

app.UseServiceDefaults();
app.UseWebSockets(); // talk; the live view upgrades its own sockets (Viewing/LiveSocket.cs)
app.MapDeadLetters("/api/streaming");

var streaming = app.MapGroup("/api/streaming").WithTags("Streaming");
var cameras = streaming.MapGroup("/cameras");
cameras.MapPushLive();
cameras.MapBackfillLive();
cameras.MapSendInstruction();
cameras.MapAcknowledgeInstruction();
cameras.MapListInstructions();
cameras.MapMarkBookmark();
cameras.MapListBookmarks(streaming);
cameras.MapCameraTalk();
streaming.MapGetTalkAudio();
streaming.MapListStreams();
var live = app.MapGroup("/live").WithTags("Live media");
live.MapWatchOverWebSocket();
live.MapWatchOverHls();
live.MapTalkOverWebSocket();

app.Run();
