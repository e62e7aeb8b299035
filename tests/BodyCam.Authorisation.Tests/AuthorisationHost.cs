using System.Net.Http.Headers;
using System.Security.Cryptography;
using BodyCam.Authorisation.Cameras;
using BodyCam.Contracts.Access;
using BodyCam.Testing;
using Marten;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Xunit;

namespace BodyCam.Authorisation.Tests;

/// <summary>
/// The authorisation service in this process, as its Program builds it, on the real PostgreSQL in a
/// database of its own: for its HTTP rules and bad input, which need no other service. What differs
/// from a deployment is only what is outside it: tokens are signed here (with the claims the gateway
/// gives), cameras are stored as if ingest's facts had arrived, and neither the bus nor the
/// publisher of facts is started (the journeys across services are the end-to-end suite's).
/// </summary>
public sealed class AuthorisationHost : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string Issuer = "bodycam-in-process";
    private readonly RSA _key = RSA.Create(2048);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"bodycam-authz-{Guid.NewGuid():N}");
    private TestServers _servers = null!;
    private string _database = "";
    private string _connection = "";

    public async Task InitializeAsync()
    {
        _servers = await TestServers.AcquireAsync();
        _database = $"bodycam_authz_{Guid.NewGuid():N}"[..28];
        await using (var admin = new NpgsqlConnection(_servers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        _connection = new NpgsqlConnectionStringBuilder(_servers.Postgres) { Database = _database }.ConnectionString;
        Directory.CreateDirectory(_directory);
        _ = Server; // start it: the schema is applied and the policy loaded before the first test
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(_servers.Postgres))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        await _servers.DisposeAsync();
        _key.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("BodyCam:Service", "authorisation");
        builder.UseSetting("ConnectionStrings:postgres", _connection);
        builder.UseSetting("ConnectionStrings:rabbitmq", _servers.RabbitMq);
        builder.UseSetting("Identity:Authority", "http://127.0.0.1:9/");
        builder.UseSetting("Identity:Issuer", Issuer);
        builder.UseSetting("Identity:RequireHttpsMetadata", "false");
        builder.UseSetting("Authorisation:PolicyFile",
            Path.Combine(ServiceProcess.RepositoryRoot(), "services", "Authorisation", "BodyCam.Authorisation", "Policy", "view-policy.json"));
        builder.UseSetting("Authorisation:SigningKeyFile", Path.Combine(_directory, "stream-token-signing.pem"));
        builder.UseSetting("EventStore:DaemonMode", "Disabled");
        builder.ConfigureTestServices(services =>
        {
            // Tokens are this host's: the same audience and claims, signed with a key of the test's.
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
            {
                var signing = new RsaSecurityKey(_key);
                o.Configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
                o.Configuration.SigningKeys.Add(signing);
                o.TokenValidationParameters.IssuerSigningKey = signing;
            });
            // No bus: nothing here is published or heard (the store keeps what would be published).
            foreach (var hosted in services.Where(d => d.ServiceType == typeof(IHostedService)
                && (d.ImplementationType ?? d.ImplementationInstance?.GetType() ?? d.ImplementationFactory?.Method.ReturnType)?.Namespace?.StartsWith("MassTransit", StringComparison.Ordinal) == true).ToList())
            {
                services.Remove(hosted);
            }
        });
    }

    /// <summary>A client whose token says what the gateway's would for this person.</summary>
    public HttpClient ClientFor(string subject, string role, string? command = null, string? officerId = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["role"] = role };
        if (command is not null)
        {
            claims["command"] = command;
        }

        if (officerId is not null)
        {
            claims["officer_id"] = officerId;
        }

        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenForge.Sign(_key, Issuer, "bodycam", DateTime.UtcNow.AddMinutes(10), claims));
        return client;
    }

    /// <summary>A camera as authorisation keeps it once ingest's facts arrived: worn by <paramref name="wearer"/> in command B.</summary>
    public async Task<string> CameraAsync(string wearer = "officer2", bool recording = true)
    {
        var cameraId = $"CAM-{Guid.NewGuid():N}"[..14].ToUpperInvariant();
        await using var session = Store.LightweightSession();
        session.Store(new WatchableCamera(cameraId, wearer, "B", recording, recording ? DateTimeOffset.UtcNow : null));
        await session.SaveChangesAsync();
        return cameraId;
    }

    /// <summary>The refusals recorded for the access record (published to audit from here), newest last.</summary>
    public async Task<IReadOnlyList<AccessRefused>> RefusalsAsync()
    {
        await using var session = Store.QuerySession();
        return await session.Events.QueryRawEventDataOnly<AccessRefused>().ToListAsync();
    }

    /// <summary>The decided requests on record for a camera.</summary>
    public async Task<IReadOnlyList<ViewRequestDecided>> DecisionsAsync(string cameraId)
    {
        await using var session = Store.QuerySession();
        return await session.Events.QueryRawEventDataOnly<ViewRequestDecided>().Where(d => d.CameraId == cameraId).ToListAsync();
    }
}
