using System.Net.Http.Headers;
using System.Security.Cryptography;
using BodyCam.Contracts.Access;
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

namespace BodyCam.Testing;

/// <summary>
/// One BodyCam service in this process, as its own Program builds it, on the real PostgreSQL in a
/// database of its own: for its HTTP rules and bad input, which need no other service. What differs
/// from a deployment is only what is outside it: tokens are signed here with the claims the gateway
/// gives, and neither the bus nor the publisher of facts is started (what would be published stays
/// in the service's store, where a test can read it; the journeys across services are the
/// end-to-end suite's).
/// </summary>
public class InProcessService<TProgram>(string service) : WebApplicationFactory<TProgram>, IAsyncLifetime
    where TProgram : class
{
    public const string Issuer = "bodycam-in-process";
    private readonly RSA _key = RSA.Create(2048);
    private TestServers _servers = null!;
    private string _database = "";
    private string _connection = "";

    /// <summary>A directory of this host's own, for key files and the like.</summary>
    protected string Directory { get; } = Path.Combine(Path.GetTempPath(), $"bodycam-{service}-{Guid.NewGuid():N}");

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    public async Task InitializeAsync()
    {
        _servers = await TestServers.AcquireAsync();
        _database = $"bodycam_{service}_{Guid.NewGuid():N}"[..30];
        await using (var admin = new NpgsqlConnection(_servers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        _connection = new NpgsqlConnectionStringBuilder(_servers.Postgres) { Database = _database }.ConnectionString;
        System.IO.Directory.CreateDirectory(Directory);
        _ = Server; // started now: the schema is in place before the first test
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
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>The service's own settings beyond the common ones (key files, policy, limits).</summary>
    protected virtual void Configure(IWebHostBuilder builder)
    {
    }

    protected sealed override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("BodyCam:Service", service);
        builder.UseSetting("ConnectionStrings:postgres", _connection);
        builder.UseSetting("ConnectionStrings:rabbitmq", _servers.RabbitMq);
        builder.UseSetting("Identity:Authority", "http://127.0.0.1:9/");
        builder.UseSetting("Identity:Issuer", Issuer);
        builder.UseSetting("Identity:RequireHttpsMetadata", "false");
        builder.UseSetting("EventStore:DaemonMode", "Disabled");
        Configure(builder);
        builder.ConfigureTestServices(services =>
        {
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
            {
                var signing = new RsaSecurityKey(_key);
                o.Configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
                o.Configuration.SigningKeys.Add(signing);
                o.TokenValidationParameters.IssuerSigningKey = signing;
            });
            foreach (var hosted in services.Where(d => d.ServiceType == typeof(IHostedService)
                && (d.ImplementationType ?? d.ImplementationInstance?.GetType() ?? d.ImplementationFactory?.Method.ReturnType)?.Namespace?.StartsWith("MassTransit", StringComparison.Ordinal) == true).ToList())
            {
                services.Remove(hosted);
            }
        });
    }

    /// <summary>A client whose token says what the gateway's would for this person or device.</summary>
    public HttpClient ClientFor(string subject, string role, string? command = null, string? officerId = null, string? cameraId = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["role"] = role };
        foreach (var (name, value) in new[] { ("command", command), ("officer_id", officerId), ("camera_id", cameraId) })
        {
            if (value is not null)
            {
                claims[name] = value;
            }
        }

        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenForge.Sign(_key, Issuer, "bodycam", DateTime.UtcNow.AddMinutes(10), claims));
        return client;
    }

    /// <summary>The refusals this service recorded for the access record (published to audit from its store).</summary>
    public async Task<IReadOnlyList<AccessRefused>> RefusalsAsync()
    {
        await using var session = Store.QuerySession();
        return await session.Events.QueryRawEventDataOnly<AccessRefused>().ToListAsync();
    }
}
