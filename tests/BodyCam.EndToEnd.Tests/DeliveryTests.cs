using BodyCam.Contracts;
using BodyCam.Contracts.Cameras;
using BodyCam.Testing;
using MassTransit;
using Npgsql;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// Store first, then publish: a fact is never lost between the event store and the bus, and a fact
/// delivered more than once has one effect.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DeliveryTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_fact_committed_while_the_broker_is_unreachable_is_published_once_after_a_crash_and_a_restart()
    {
        // Ingest runs with a broker address where nothing listens: it can store, but not publish.
        var cutOff = await system.RestartAsync("ingest", rabbitMq: "amqp://guest:guest@127.0.0.1:1/", readyPath: "health/live");
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);

        var (eventId, sequence) = await RegistrationEventAsync(cameraId);
        Assert.True(await PublishedUpToAsync() < sequence, "the registration must not have been published yet");

        // The process dies without any shutdown code running, then comes back with the broker in reach.
        await cutOff.KillAsync();
        await system.RestartAsync("ingest");

        var registrations = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}&type=CameraRegistered");
        var registration = Assert.Single(registrations);
        Assert.Equal(eventId, registration.GetProperty("messageId").GetGuid());
        Assert.Equal("admin", registration.GetProperty("actorId").GetString());
    }

    [Fact]
    public async Task The_same_message_delivered_twice_is_recorded_once()
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(system.RabbitMq));
            cfg.Publish<IIntegrationEvent>(p => p.Exclude = true);
        });
        await bus.StartAsync();
        try
        {
            var cameraId = Api.NewCameraId();
            var messageId = NewId.NextGuid();
            var registered = new CameraRegistered(cameraId, "S", "M", $"camera-{cameraId}", "test-harness", DateTimeOffset.UtcNow, Guid.NewGuid());
            var droppedBefore = await DuplicatesDroppedAsync();

            await bus.Publish(registered, c => c.MessageId = messageId);
            await bus.Publish(registered, c => c.MessageId = messageId);

            // A dropped duplicate changes nothing on the record by design; audit counts it in its metrics.
            await Eventually.Async(
                async () => await DuplicatesDroppedAsync() > droppedBefore ? "dropped" : null,
                what: "audit to drop the second delivery");
            var entries = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}");
            Assert.Equal(messageId, Assert.Single(entries).GetProperty("messageId").GetGuid());
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    [Fact]
    public async Task Facts_about_one_subject_are_chained_in_the_order_they_were_published()
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(system.RabbitMq));
            cfg.Publish<IIntegrationEvent>(p => p.Exclude = true);
        });
        await bus.StartAsync();
        try
        {
            // Four cameras' facts interleaved, each published after the one before was confirmed, as
            // a service's publisher does; audit takes up to 500 at once, side by side.
            var cameras = Enumerable.Range(0, 4).Select(_ => Api.NewCameraId()).ToArray();
            for (var i = 0; i < 60; i++)
            {
                foreach (var cameraId in cameras)
                {
                    var fact = new CameraRegistered(cameraId, "S", $"M-{i:000}", $"camera-{cameraId}", "test-harness", DateTimeOffset.UtcNow, Guid.NewGuid());
                    await bus.Publish(fact, c =>
                    {
                        c.Headers.Set("BodyCam-Stream", cameraId); // the publisher's order, as the contract names it (CHANGELOG)
                        c.Headers.Set("BodyCam-Sequence", (long)i);
                    });
                }
            }

            foreach (var cameraId in cameras)
            {
                var entries = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 60);
                var models = entries.Select(e => e.GetProperty("data").GetProperty("model").GetString()).ToArray();
                Assert.Equal(Enumerable.Range(0, 60).Select(i => $"M-{i:000}"), models);
            }
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private async Task<double> DuplicatesDroppedAsync()
    {
        using var http = system.Client(address: system.Service("audit").Address);
        var metrics = await http.GetStringAsync("metrics");
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("bodycam_audit_duplicates_dropped_total", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<(Guid Id, long Sequence)> RegistrationEventAsync(string cameraId)
    {
        await using var connection = new NpgsqlConnection(system.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT id, seq_id FROM ingest.mt_events WHERE stream_id = @stream AND type = 'camera_registered'", connection);
        command.Parameters.AddWithValue("stream", $"camera/{cameraId}");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the registration should be stored before anything is published");
        return (reader.GetGuid(0), reader.GetInt64(1));
    }

    private async Task<long> PublishedUpToAsync()
    {
        await using var connection = new NpgsqlConnection(system.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(max(last_seq_id), 0) FROM ingest.mt_event_progression WHERE name LIKE 'IntegrationEventPublisher%'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
