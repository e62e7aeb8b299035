using System.Collections.Concurrent;
using BodyCam.Contracts.Operations;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Messaging.Redelivery;
using Marten;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BodyCam.ServiceDefaults.Tests;

/// <summary>What a probe consumer stored: one per operation, whatever the deliveries.</summary>
public sealed record ProbeRecord(string Id, DateTimeOffset HandledAt);

/// <summary>
/// A consumer as the services write them (the idempotent base, a Marten document in the same
/// transaction as the handled id) whose behaviour the test sets per operation id.
/// </summary>
public sealed class ProbeConsumer(FactWriter writer) : IdempotentConsumer<OperationOpened>(writer)
{
    public static readonly ConcurrentDictionary<string, int> Attempts = new();
    public static readonly ConcurrentDictionary<string, int> Handled = new();

    /// <summary>Operation ids whose message is poison until removed (the consumer "mended").</summary>
    public static readonly ConcurrentDictionary<string, bool> Poisoned = new();

    /// <summary>Operation ids whose handling always fails as a dependency would.</summary>
    public static readonly ConcurrentDictionary<string, bool> Failing = new();

    protected override async Task Handle(ConsumeContext<OperationOpened> context, IDocumentSession session)
    {
        var id = context.Message.OperationId;
        Attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
        if (Poisoned.ContainsKey(id))
        {
            throw new PoisonMessageException($"operation {id} is malformed");
        }

        if (Failing.ContainsKey(id))
        {
            throw new TimeoutException($"the dependency for {id} did not answer");
        }

        session.Store(new ProbeRecord(id, DateTimeOffset.UtcNow));
        // The operations of one name in the order they were applied.
        var tally = await session.LoadAsync<Tally>(context.Message.Name) ?? new Tally(context.Message.Name, 0, []);
        session.Store(tally with { Count = tally.Count + 1, Seen = [.. tally.Seen, id] });
    }

    protected override void Committed(ConsumeContext<OperationOpened> context) =>
        Handled.AddOrUpdate(context.Message.OperationId, 1, (_, n) => n + 1);
}

/// <summary>A batch consumer as location's telemetry consumer is: the whole batch in one transaction, failing together.</summary>
public sealed class ProbeBatchConsumer(IDocumentStore store) : IConsumer<Batch<OperationOpened>>
{
    public static volatile bool Failing;

    public async Task Consume(ConsumeContext<Batch<OperationOpened>> context)
    {
        if (Failing)
        {
            throw new TimeoutException("the store did not answer");
        }

        await using var session = store.LightweightSession();
        session.Store([.. context.Message.Select(m => new ProbeRecord(m.Message.OperationId, DateTimeOffset.UtcNow))]);
        await session.SaveChangesAsync(context.CancellationToken);
        foreach (var m in context.Message)
        {
            ProbeConsumer.Handled.AddOrUpdate(m.Message.OperationId, 1, (_, n) => n + 1);
        }
    }
}

/// <summary>
/// One service's messaging as the services run it (its event store, MassTransit with the delayed
/// redelivery, its own least-privileged RabbitMQ user: ingest's), with one probe consumer on a queue
/// of the test's own, against the real PostgreSQL (through a proxy the test can cut) and RabbitMQ.
/// </summary>
internal sealed class ProbeService : IAsyncDisposable
{
    private ProbeService(WebApplication app) => App = app;

    public WebApplication App { get; }

    public RedeliveryBroker Broker => App.Services.GetRequiredService<RedeliveryBroker>();

    public DeadLetterWatch Watch => App.Services.GetRequiredService<DeadLetterWatch>();

    public IDocumentStore Store => App.Services.GetRequiredService<IDocumentStore>();

    public static WebApplication Build(string postgres, string queue, string schema, IDictionary<string, string?>? settings = null, bool batch = false)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // These tests cut PostgreSQL on purpose: the projection daemon's complaints about it are expected noise.
        builder.Logging.AddFilter("Marten", LogLevel.Critical).AddFilter("JasperFx", LogLevel.Critical);
        var config = new Dictionary<string, string?>
        {
            ["BodyCam:Service"] = "ingest",
            ["ConnectionStrings:rabbitmq"] = Environment.GetEnvironmentVariable("BODYCAM_TEST_RABBITMQ_INGEST")
                ?? throw new InvalidOperationException("BODYCAM_TEST_RABBITMQ_INGEST is not set: run the tests with './bodycam test'."),
            ["ConnectionStrings:postgres"] = postgres,
            ["Messaging:Redelivery:Immediate"] = "1",
            ["Messaging:Redelivery:ImmediateInterval"] = "00:00:00.100",
            ["Messaging:Redelivery:Delays:0"] = "00:00:01",
            ["Messaging:Redelivery:Delays:1"] = "00:00:02",
            ["Messaging:Redelivery:GiveUpAfter"] = "00:10:00",
            ["Messaging:Redelivery:WatchEvery"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new ServiceIdentity("ingest"));
        builder.AddEventStore(schema);
        builder.AddMessageBus(bus =>
        {
            if (batch)
            {
                bus.AddConsumer<ProbeBatchConsumer>(c => c.Options<BatchOptions>(o => o.SetMessageLimit(50).SetTimeLimit(TimeSpan.FromMilliseconds(200)).SetConcurrencyLimit(1)))
                    .Endpoint(e => { e.Name = queue; e.PrefetchCount = 100; });
            }
            else
            {
                bus.AddFactEndpoint(queue, typeof(ProbeConsumer));
            }
        });
        return builder.Build();
    }

    public static async Task<ProbeService> StartAsync(string postgres, string queue, string schema, IDictionary<string, string?>? settings = null, bool batch = false)
    {
        var app = Build(postgres, queue, schema, settings, batch);
        await app.StartAsync();
        // The host starts the bus in the background: its queue is bound once the bus is healthy.
        var health = await app.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
        if (health != BusHealthStatus.Healthy)
        {
            throw new InvalidOperationException($"The probe's bus is {health}.");
        }

        return new ProbeService(app);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
