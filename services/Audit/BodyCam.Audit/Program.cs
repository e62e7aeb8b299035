using BodyCam.ServiceDefaults.Messaging.Redelivery;
using BodyCam.Audit.Chain;
using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.Audit.Chain.Rebuilding;
using BodyCam.Audit.Chain.Verifying;
using BodyCam.Audit.Events.Accessing;
using BodyCam.Audit.Events.Exporting;
using BodyCam.Audit.Events.Querying;
using BodyCam.Audit.Events.Replaying;
using BodyCam.Audit.Monitoring;
using BodyCam.Audit.Monitoring.Alerts;
using BodyCam.Audit.Transparency;
using BodyCam.Audit.Tree;
using BodyCam.Audit.Tree.Serving;
using BodyCam.Audit.Tree.Witnessing;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Security;
using JasperFx.Events;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("audit");
builder.AddRefusalAudit();
builder.AddEventStore("audit", options =>
{
    // The chain's writer appends hundreds of links per transaction and no inline projection reads
    // their metadata: the quick append is one statement per batch. The expected version still guards
    // the chain against a second writer.
    options.Events.AppendMode = EventAppendMode.Quick;
    // The busiest filters' indexes carry the sequence number after them, as queries page in that
    // order: "the next 100 AccessRefused after 2,000,000" reads 100 index entries, not a million, and
    // the misuse monitor reads a viewer's newest facts straight off the index.
    options.Schema.For<AuditEntry>()
        .Duplicate(e => e.CameraId)
        .Duplicate(e => e.OfficerId)
        .Duplicate(e => e.ViewerId)
        .Duplicate(e => e.IncidentRef)
        .Duplicate(e => e.Type)
        .Duplicate(e => e.Subject)
        .Duplicate(e => e.At)
        .Index([e => e.Type, e => e.Id], i => i.Name = "mt_doc_auditentry_idx_type_id")
        .Index([e => e.ViewerId!, e => e.Id], i => i.Name = "mt_doc_auditentry_idx_viewer_id_id");
    // The monitor counts findings into an alert while compliance may be acknowledging it: neither overwrites the other.
    options.Schema.For<MisuseAlert>().Duplicate(a => a.State).Duplicate(a => a.Seq).UseOptimisticConcurrency(true);
    options.Schema.For<PublishedTransparencyReport>();
    // The Merkle tree's full tiles: rows written once by the chain's writer.
    options.Storage.ExtendedSchemaObjects.Add(TreeTiles.Definition(options.DatabaseSchemaName));
})
// The misuse rules look at each chain entry once, in order, with the daemon keeping their place.
.AddSubscriptionWithServices<MisuseMonitor>(ServiceLifetime.Singleton, o => o.IncludeType<ChainLinked>());
// After Marten's own start-up step has put the tables in place.
builder.Services.AddHostedService<AppendOnlyRecord>();
builder.AddMessageBus(bus => bus.AddRecordingConsumers(builder.Configuration.GetValue("BodyCam:DeployTopology", false)));
builder.Services.AddSingleton<TreeTiles>();
builder.Services.AddSingleton<LogTree>();
builder.Services.AddSingleton<TreeVerifier>();
builder.Services.AddOptions<WitnessOptions>().BindConfiguration("Audit");
builder.Services.AddHttpClient<Witnesses>();
builder.Services.AddSingleton<AuditChain>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditChain>());
builder.Services.AddHostedService<ChainWriterElection>();
builder.Services.AddSingleton<ProjectionRebuild>();
builder.Services.AddSingleton<CheckpointSigner>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<CheckpointSigner>());
builder.Services.AddSigningKeysOnRecord("audit", sp =>
{
    var signer = sp.GetRequiredService<CheckpointSigner>();
    return [("tree-checkpoints", SignedNote.VerifierKey(signer.LogKey.Name, signer.LogKey.Type, signer.LogKey.PublicKey)), ("chain-checkpoints", signer.PublicKey.KeyId)];
});
builder.Services.AddOptions<TransparencyOptions>().BindConfiguration("Transparency")
    .Validate(o => o.Threshold >= 1, "Transparency:Threshold must be 1 or more.")
    .Validate(o => TimeZoneInfo.TryFindSystemTimeZoneById(o.TimeZone, out _), "Transparency:TimeZone is not a time zone this machine knows.")
    .ValidateOnStart();
builder.Services.AddSingleton<TransparencyReports>();
builder.Services.AddHostedService<TransparencySchedule>();

var app = builder.Build();
if (await app.DeployTopologyIfAskedAsync())
{
    return;
}

app.UseServiceDefaults();
app.MapDeadLetters("/api/audit");

var audit = app.MapGroup("/api/audit").WithTags("Audit");
audit.MapQueryEvents();
audit.MapVerifyChain();
audit.MapListCheckpoints();
audit.MapServeCheckpoint();
audit.MapServeTiles();
audit.MapServeProofs();
audit.MapReplayTimeline();
audit.MapExportChain();
audit.MapRebuildProjections();
audit.MapListAccess();
var alerts = audit.MapGroup("/alerts");
alerts.MapListAlerts();
alerts.MapAcknowledgeAlert();
audit.MapGroup("/transparency").MapComputeReport();
app.MapPublicReport();

app.Run();
