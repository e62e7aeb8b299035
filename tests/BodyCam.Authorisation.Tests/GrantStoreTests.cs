using BodyCam.Authorisation.Grants;
using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.EventStore;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Testing;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace BodyCam.Authorisation.Tests;

/// <summary>
/// Grants in authorisation's own event store on the real PostgreSQL, configured as the service
/// configures it: decided, appended, projected inline, and found again by state, with the states
/// stored by the names the documents written before <see cref="GrantState"/> carry ("active").
/// </summary>
public sealed class GrantStoreTests : IAsyncLifetime
{
    private readonly string _schema = $"authz_test_{Guid.NewGuid():N}"[..24];
    private TestServers _servers = null!;
    private WebApplication _app = null!;

    private IDocumentStore Store => _app.Services.GetRequiredService<IDocumentStore>();

    public async Task InitializeAsync()
    {
        _servers = await TestServers.AcquireAsync();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BodyCam:Service"] = "authorisation",
            ["ConnectionStrings:postgres"] = _servers.Postgres,
            // The store's publisher needs the bus registered; these tests do not start it.
            ["ConnectionStrings:rabbitmq"] = Environment.GetEnvironmentVariable("BODYCAM_TEST_RABBITMQ_AUTHORISATION") ?? _servers.RabbitMq,
        });
        builder.AddEventStore(_schema, AuthorisationStore.Configure);
        builder.AddMessageBus();
        _app = builder.Build();
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await using (var connection = new NpgsqlConnection(_servers.Postgres))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }

        await _servers.DisposeAsync();
    }

    [Fact]
    public async Task A_grant_decided_revoked_and_queried_by_state_reads_back_as_it_was_decided()
    {
        var now = DateTimeOffset.UtcNow;
        await DecideAsync("live", "granted", now);
        await DecideAsync("waiting", "pending", now);
        await DecideAsync("refused", "denied", now);

        await using (var session = Store.LightweightSession())
        {
            var stream = await session.Events.FetchForWriting<ViewGrant>(ViewGrant.StreamKey("live"));
            var decided = GrantDecisions.Revoke(stream.Aggregate, "live", "Done here", new Actor("supervisor1", ["supervisor"]), new(now.AddSeconds(5), Guid.NewGuid()));
            stream.AppendOne(decided.Event!);
            await session.SaveChangesAsync();
        }

        await using var query = Store.QuerySession();
        Assert.Equal(GrantState.Revoked, (await query.LoadAsync<ViewGrant>(ViewGrant.StreamKey("live")))!.State);
        Assert.Equal(["waiting"], (await query.Query<ViewGrant>().Where(g => g.State == GrantState.Pending).ToListAsync()).Select(g => g.GrantId));
        Assert.Equal(["live"], (await query.Query<ViewGrant>().Where(g => g.State != GrantState.Denied && g.State != GrantState.Pending).ToListAsync()).Select(g => g.GrantId));

        // As stored: the document says the state's lower-case name.
        var stored = new List<(string, string)>();
        await using var connection = new NpgsqlConnection(_servers.Postgres);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand($"SELECT data->>'grantId', data->>'state' FROM {_schema}.mt_doc_viewgrant ORDER BY 1", connection);
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            stored.Add((reader.GetString(0), reader.GetString(1)));
        }

        Assert.Equal([("live", "revoked"), ("refused", "denied"), ("waiting", "pending")], stored);
    }

    [Fact]
    public async Task A_document_written_before_the_enum_is_found_by_its_state()
    {
        await DecideAsync("old", "granted", DateTimeOffset.UtcNow);
        await using (var connection = new NpgsqlConnection(_servers.Postgres))
        {
            await connection.OpenAsync();
            // What the service stored when the state was a string constant: the same lower-case names.
            await using var write = new NpgsqlCommand(
                $"UPDATE {_schema}.mt_doc_viewgrant SET data = jsonb_set(data, '{{state}}', '\"expired\"')", connection);
            await write.ExecuteNonQueryAsync();
        }

        await using var query = Store.QuerySession();
        Assert.Equal(GrantState.Expired, (await query.Query<ViewGrant>().Where(g => g.State == GrantState.Expired).SingleAsync()).State);
    }

    private async Task DecideAsync(string id, string decision, DateTimeOffset now)
    {
        await using var session = Store.LightweightSession();
        session.Events.StartStream<ViewGrant>(ViewGrant.StreamKey(id), new ViewRequestDecided(
            id, decision, "CAM-1", "officer2", "officer1", "officer", "officer-safety", "Colleague alone at a disturbance", null, "v1", "purpose-allowed",
            "allowed", decision == "granted" ? now.AddMinutes(5) : null, 300, decision == "pending" ? "supervisor" : null, "127.0.0.1", "officer1", now, Guid.NewGuid()));
        await session.SaveChangesAsync();
    }
}
