using BodyCam.Contracts;
using BodyCam.Contracts.Operations;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.ServiceDefaults.Messaging.Redelivery;
using BodyCam.Testing;
using Marten;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Xunit;

namespace BodyCam.ServiceDefaults.Tests;

/// <summary>
/// Redelivery and error queues as a service runs them, against the real PostgreSQL and RabbitMQ, as
/// ingest's own RabbitMQ user (so the delay queues are shown to work under least privilege).
/// </summary>
public sealed class RedeliveryTests : IAsyncLifetime
{
    private readonly string _queue = $"ingest-probe-{Guid.NewGuid():N}"[..24];
    private readonly string _schema = $"probe_{Guid.NewGuid():N}"[..14];
    private TcpProxy _proxy = null!;
    private IBusControl _publisher = null!;
    private string _postgres = null!;

    public async Task InitializeAsync()
    {
        var direct = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("BODYCAM_TEST_POSTGRES")
            ?? throw new InvalidOperationException("BODYCAM_TEST_POSTGRES is not set: run the tests with './bodycam test'."));
        _proxy = new TcpProxy(direct.Host!, direct.Port);
        _postgres = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Host = "127.0.0.1", Port = _proxy.Port, Timeout = 3, CommandTimeout = 5 }.ConnectionString;
        // The tests' own user publishes, as another service would.
        _publisher = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(Environment.GetEnvironmentVariable("BODYCAM_TEST_RABBITMQ")!));
            cfg.Publish<IIntegrationEvent>(p => p.Exclude = true);
        });
        await _publisher.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _publisher.StopAsync();
        await _proxy.DisposeAsync();
    }

    private async Task<Guid> PublishAsync(string operationId, string name = "probe", long? sequence = null)
    {
        var messageId = NewId.NextGuid();
        await _publisher.Publish(new OperationOpened(operationId, name, "football", [[0, 0], [0, 1], [1, 1], [0, 0]], null, "test", DateTimeOffset.UtcNow, Guid.NewGuid()),
            context =>
            {
                context.MessageId = messageId;
                // As the services' publisher stamps each fact: its stream and its sequence there.
                if (sequence is { } n)
                {
                    context.Headers.Set(IntegrationEventHeaders.Stream, name);
                    context.Headers.Set(IntegrationEventHeaders.Sequence, n);
                }
            });
        return messageId;
    }

    [Fact]
    public async Task Facts_about_one_subject_are_applied_in_the_order_they_were_published()
    {
        await using var service = await ProbeService.StartAsync(_postgres, _queue, _schema);
        var subjects = Enumerable.Range(0, 4).Select(i => $"subject-{i}-{Guid.NewGuid():N}").ToArray();
        // Each subject's facts one after another, the subjects side by side: the queue interleaves them.
        await Task.WhenAll(subjects.Select(async subject =>
        {
            for (var i = 0; i < 60; i++)
            {
                await PublishAsync($"{subject}-{i:D3}", subject, i);
            }
        }));

        foreach (var subject in subjects)
        {
            var tally = await Eventually.Async(async () =>
            {
                await using var session = service.Store.QuerySession();
                return await session.LoadAsync<Tally>(subject) is { Count: >= 60 } done ? done : null;
            }, TimeSpan.FromSeconds(60), $"all 60 facts about {subject}");
            Assert.Equal(Enumerable.Range(0, 60).Select(i => $"{subject}-{i:D3}"), tally!.Seen);
        }
    }

    [Fact]
    public async Task A_message_failing_while_PostgreSQL_is_down_longer_than_the_immediate_retries_is_handled_once_it_is_back_exactly_once()
    {
        await using var service = await ProbeService.StartAsync(_postgres, _queue, _schema);
        var operation = $"op-{Guid.NewGuid():N}";

        using var parked = new ParkedCounter(_queue);

        _proxy.Cut();
        await PublishAsync(operation);
        // Failed, parked in a delay queue, back and failed again, three times while the database is away:
        // longer than the immediate retries last.
        await Eventually.Async(() => Task.FromResult(parked.Count >= 3 ? (object)true : null),
            TimeSpan.FromSeconds(30), "three parkings in a delay queue while PostgreSQL is down");
        Assert.False(ProbeConsumer.Handled.ContainsKey(operation));
        _proxy.Restore();

        await Eventually.Async(() => Task.FromResult(ProbeConsumer.Handled.GetValueOrDefault(operation) == 1 ? (object)true : null),
            TimeSpan.FromSeconds(30), "the message handled once PostgreSQL is back");
        // Nothing left waiting anywhere, and it was handled once.
        await Eventually.Async(async () => (await DelayedAsync(service)) == 0 ? (object)true : null, TimeSpan.FromSeconds(30), "the delay queues empty");
        Assert.Equal(1, ProbeConsumer.Handled[operation]);
        await using var session = service.Store.QuerySession();
        Assert.NotNull(await session.LoadAsync<ProbeRecord>(operation));
        Assert.Equal(0u, (await service.Broker.CountAsync(CancellationToken.None)).GetValueOrDefault(_queue));
        // Parked is not skipped: no copy went to the queue of messages nobody consumed.
        Assert.Equal(0u, await MessagesAsync($"{_queue}_skipped"));
    }

    [Fact]
    public async Task A_failing_batch_parks_each_of_its_messages_and_each_comes_back_and_is_handled()
    {
        await using var service = await ProbeService.StartAsync(_postgres, _queue, _schema, batch: true);
        using var parked = new ParkedCounter(_queue);
        ProbeBatchConsumer.Failing = true;
        var operations = Enumerable.Range(0, 5).Select(i => $"batch-{i}-{Guid.NewGuid():N}").ToList();
        foreach (var operation in operations)
        {
            await PublishAsync(operation);
        }

        await Eventually.Async(() => Task.FromResult(parked.Count >= operations.Count ? (object)true : null), TimeSpan.FromSeconds(30), "every message of the failing batch parked");
        ProbeBatchConsumer.Failing = false;

        await Eventually.Async(() => Task.FromResult(operations.All(o => ProbeConsumer.Handled.GetValueOrDefault(o) >= 1) ? (object)true : null),
            TimeSpan.FromSeconds(30), "every message handled once the store answers");
        Assert.Equal(0u, (await service.Broker.CountAsync(CancellationToken.None)).GetValueOrDefault(_queue));
        Assert.Equal(0u, await MessagesAsync($"{_queue}_skipped"));
    }

    [Fact]
    public async Task A_poison_message_reaches_the_error_queue_turns_health_degraded_is_listed_and_is_replayed_once_mended()
    {
        await using var service = await ProbeService.StartAsync(_postgres, _queue, _schema);
        var operation = $"poison-{Guid.NewGuid():N}";
        ProbeConsumer.Poisoned[operation] = true;
        var messageId = await PublishAsync(operation);

        var listed = await Eventually.Async(async () =>
            (await service.Broker.ListAsync(100, CancellationToken.None)).FirstOrDefault(l => l.MessageId == messageId.ToString()), TimeSpan.FromSeconds(30), "the poison message in the error list");
        Assert.Equal(_queue, listed.Queue);
        Assert.Equal("urn:message:BodyCam.Contracts.Operations:OperationOpened", listed.MessageType);
        Assert.Contains("malformed", listed.Reason);
        Assert.Equal(1, ProbeConsumer.Attempts[operation]);
        await Eventually.Async(async () => (await service.Watch.CheckHealthAsync(new HealthCheckContext())) is { Status: HealthStatus.Degraded } degraded ? degraded.Description : null,
            TimeSpan.FromSeconds(15), "health degraded by the error queue");

        ProbeConsumer.Poisoned.TryRemove(operation, out _);
        var replayed = await service.Broker.ReplayAsync(_queue, new HashSet<string> { messageId.ToString() }, 100, CancellationToken.None);

        Assert.Single(replayed);
        await Eventually.Async(() => Task.FromResult(ProbeConsumer.Handled.GetValueOrDefault(operation) == 1 ? (object)true : null), TimeSpan.FromSeconds(30), "the mended message handled");
        await service.Watch.RefreshAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Healthy, (await service.Watch.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Empty(await service.Broker.ListAsync(100, CancellationToken.None));
    }

    [Fact]
    public async Task A_message_still_failing_when_redelivery_gives_up_goes_to_the_error_queue_with_its_history()
    {
        await using var service = await ProbeService.StartAsync(_postgres, _queue, _schema,
            new Dictionary<string, string?> { ["Messaging:Redelivery:GiveUpAfter"] = "00:00:04" });
        var operation = $"failing-{Guid.NewGuid():N}";
        ProbeConsumer.Failing[operation] = true;
        var messageId = await PublishAsync(operation);

        var listed = await Eventually.Async(async () =>
            (await service.Broker.ListAsync(100, CancellationToken.None)).FirstOrDefault(l => l.MessageId == messageId.ToString()), TimeSpan.FromSeconds(40), "the message in the error queue");

        Assert.True(listed.Redeliveries >= 2, $"{listed.Redeliveries} redeliveries before giving up");
        Assert.Contains("did not answer", listed.Reason);
        Assert.False(ProbeConsumer.Handled.ContainsKey(operation));
    }

    [Fact]
    public async Task A_fact_published_before_its_consumer_ever_started_still_arrives_once_the_topology_is_deployed()
    {
        var deploy = ProbeService.Build(_postgres, _queue, _schema, new Dictionary<string, string?> { ["BodyCam:DeployTopology"] = "true" });
        Assert.True(await deploy.DeployTopologyIfAskedAsync());
        await deploy.DisposeAsync();
        var operation = $"early-{Guid.NewGuid():N}";
        await PublishAsync(operation);

        await using var service = await ProbeService.StartAsync(_postgres, _queue, _schema);

        await Eventually.Async(() => Task.FromResult(ProbeConsumer.Handled.GetValueOrDefault(operation) == 1 ? (object)true : null),
            TimeSpan.FromSeconds(30), "the fact published before the consumer started");
    }

    [Fact]
    public void Faults_in_the_message_are_poison_and_faults_of_dependencies_are_not()
    {
        Assert.True(PoisonMessages.Is(new PoisonMessageException("no id")));
        Assert.True(PoisonMessages.Is(new System.Text.Json.JsonException("bad")));
        Assert.True(PoisonMessages.Is(new ArgumentException("bad")));
        Assert.False(PoisonMessages.Is(new NpgsqlException("Failed to connect")));
        Assert.False(PoisonMessages.Is(new TimeoutException()));
        Assert.False(PoisonMessages.Is(new InvalidOperationException("Marten failed", new TimeoutException())));
    }

    [Fact]
    public void Waits_follow_the_configured_delays_and_the_last_repeats()
    {
        var options = new DelayedRedeliveryOptions { Delays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)] };
        Assert.Equal([1, 2, 2, 2], Enumerable.Range(1, 4).Select(n => options.DelayFor(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(5), new DelayedRedeliveryOptions().DelayFor(1));
        Assert.Equal(TimeSpan.FromMinutes(5), new DelayedRedeliveryOptions().DelayFor(40));
    }

    /// <summary>Counts <c>bodycam.messaging.redelivery_delayed</c> for one queue, as Prometheus would see it.</summary>
    private sealed class ParkedCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _count;

        public ParkedCounter(string queue)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "bodycam.messaging.redelivery_delayed")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "queue" && (string?)tag.Value == queue)
                    {
                        Interlocked.Add(ref _count, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Messages in a queue; 0 when it does not exist.</summary>
    private static async Task<uint> MessagesAsync(string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(Environment.GetEnvironmentVariable("BODYCAM_TEST_RABBITMQ")!) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    private async Task<uint> DelayedAsync(ProbeService service)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(Environment.GetEnvironmentVariable("BODYCAM_TEST_RABBITMQ")!) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        uint total = 0;
        foreach (var seconds in new[] { 1, 2 })
        {
            total += (await channel.QueueDeclarePassiveAsync($"{service.Broker.Queues.Prefix}-delay-{seconds}s")).MessageCount;
        }

        return total;
    }
}
