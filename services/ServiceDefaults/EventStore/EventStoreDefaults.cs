using BodyCam.ServiceDefaults.Messaging;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Weasel.Core;

namespace BodyCam.ServiceDefaults.EventStore;

/// <summary>
/// A service's own Marten store in its own PostgreSQL schema, with the subscription that publishes
/// its committed integration events to RabbitMQ (store first, then publish).
/// </summary>
public static class EventStoreDefaults
{
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddEventStore(
        this WebApplicationBuilder builder, string schema, Action<StoreOptions>? configure = null)
    {
        var connectionString = builder.Configuration.GetConnectionString("postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:postgres is not set. './bodycam up' sets it; see README.md.");

        builder.Services.AddHealthChecks().AddCheck("postgres", new PostgresHealthCheck(connectionString), tags: ["ready"]);

        var marten = builder.Services
            .AddMarten(options =>
            {
                options.Connection(connectionString);
                options.DatabaseSchemaName = schema;
                options.Events.DatabaseSchemaName = schema;
                options.Events.StreamIdentity = StreamIdentity.AsString;
                options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
                options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                // Each service migrates its own schema under its own lock: audit building an index over
                // millions of entries must not stop the other services starting (Marten's default lock
                // id is one for the whole database). Replicas of one service still take turns, and wait
                // out a long migration rather than give up.
                options.ApplyChangesLockId = BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"bodycam-schema:{schema}")));
                options.ApplyChangesLockTimeout = TimeSpan.FromMinutes(10);
                options.Schema.For<HandledMessage>().DatabaseSchemaName(schema);
                // Facts reach the bus within about a quarter of a second even on a quiet system (the
                // default looks for new events once a second when idle): a revoked grant must cut its
                // viewers off within a second of the revocation, and the publish is most of that path.
                options.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(250);
                options.Projections.FastPollingTime = TimeSpan.FromMilliseconds(100);
                // However many instances run, one runs the publisher and the subscriptions (HotCold,
                // under a lock of the service's own: the default lock id is one for every store in the
                // database, which would let one service's daemon stop all the others'); when it
                // dies another takes them within a second and a half.
                options.Projections.DaemonLockId = BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"bodycam-daemon:{schema}")));
                options.Projections.LeadershipPollingTime = 1500;
                configure?.Invoke(options);
            })
            .UseLightweightSessions();
        // The supervisor restarting a killed process of the same build says the schema is in place
        // (BodyCam:SchemaApplied): comparing every table with the model took about 2.5 of the 4.6 s
        // from start to ready. A document type is still checked on its first use.
        if (!builder.Configuration.GetValue("BodyCam:SchemaApplied", false))
        {
            marten.ApplyAllDatabaseChangesOnStartup();
        }

        return marten
            .AddAsyncDaemon(builder.Configuration.GetValue("EventStore:DaemonMode", DaemonMode.HotCold))
            .AddSubscriptionWithServices<IntegrationEventPublisher>(ServiceLifetime.Singleton, o =>
            {
                o.Options.BatchSize = 500;
                // Only the contracts' facts are read: a service's own events (audit's chain links,
                // millions of them) are never loaded just to be passed over.
                foreach (var type in IntegrationEventTypes.All)
                {
                    o.IncludeType(type);
                }
            });
    }

    private sealed class PostgresHealthCheck(string connectionString) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not answer", e);
            }
        }
    }
}
