using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Xunit;

namespace BodyCam.Testing;

/// <summary>
/// The whole system for a test class or collection: a database of its own on the test PostgreSQL,
/// the test RabbitMQ, every service and the gateway as real processes on free ports, and the demo
/// identities. Tests talk to it through the gateway, as cameras, consoles and CAD systems do.
/// </summary>
public sealed class BodyCamSystem : IAsyncLifetime
{
    public static readonly IReadOnlyList<string> ServiceNames = ["ingest", "location", "authorisation", "streaming", "audit", "integration"];
    public const string DemoPassword = "demo";

    private readonly Dictionary<string, ServiceProcess> _services = [];
    private readonly Dictionary<string, string> _tokens = [];
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private TestServers? _servers;
    private int _gatewayPort;
    private int _witnessPort;

    public ServiceProcess Gateway { get; private set; } = null!;

    public Uri GatewayAddress => Gateway.Address;

    /// <summary>A connection string to this system's own database, for checks on what was stored.</summary>
    public string Database { get; private set; } = "";

    public string RabbitMq => _servers!.RabbitMq;

    public string SigningKeyFile { get; } = Path.Combine(Path.GetTempPath(), $"bodycam-test-{Guid.NewGuid():N}", "signing.pem");

    /// <summary>This system's own copy of the view policy, which tests may change.</summary>
    public string PolicyFile => Path.Combine(Path.GetDirectoryName(SigningKeyFile)!, "view-policy.json");

    public ServiceProcess Service(string name) => _services[name];

    /// <summary>The audit log's witness (C2SP tlog-witness), a process of its own as <c>./bodycam up</c> runs it.</summary>
    public ServiceProcess Witness { get; private set; } = null!;

    public const string LogOrigin = "bodycam.test/audit";
    public const string WitnessName = "bodycam.test/witness";

    /// <summary>The audit log's Ed25519 verifier key (name+id+base64), and the witness's cosignature key.</summary>
    public string LogKey { get; private set; } = "";

    public string WitnessKey { get; private set; } = "";

    private string KeyDirectory => Path.GetDirectoryName(SigningKeyFile)!;

    /// <summary>The witness's settings: its own key and store, and the log it witnesses.</summary>
    public Dictionary<string, string> WitnessEnvironment() => new()
    {
        ["Witness__Name"] = WitnessName,
        ["Witness__KeyFile"] = Path.Combine(KeyDirectory, "witness", "witness.key"),
        ["Witness__StoreDirectory"] = Path.Combine(KeyDirectory, "witness"),
        ["Witness__Logs__0__Key"] = LogKey,
    };

    /// <summary>Starts the witness again on its old port (after a test stopped it).</summary>
    public async Task<ServiceProcess> RestartWitnessAsync()
    {
        var port = Witness.Port;
        await Witness.DisposeAsync();
        Witness = ServiceProcess.Start("witness", port, WitnessEnvironment());
        await Witness.WaitUntilAsync("health", TimeSpan.FromSeconds(60));
        return Witness;
    }

    public async Task InitializeAsync()
    {
        _servers = await TestServers.AcquireAsync();
        var database = $"bodycam_e2e_{Guid.NewGuid():N}"[..28];
        await using (var admin = new NpgsqlConnection(_servers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        // Small pools: six processes share one PostgreSQL, perhaps beside a running system.
        Database = new NpgsqlConnectionStringBuilder(_servers.Postgres) { Database = database, MaxPoolSize = 10, ConnectionIdleLifetime = 60 }.ConnectionString;
        _gatewayPort = ServiceProcess.FreePort();
        Directory.CreateDirectory(Path.GetDirectoryName(PolicyFile)!);
        File.Copy(Path.Combine(ServiceProcess.RepositoryRoot(), "services", "Authorisation", "BodyCam.Authorisation", "Policy", "view-policy.json"), PolicyFile);
        LogKey = await ServiceProcess.RunAsync("witness", "vkey", "--key-file", Path.Combine(KeyDirectory, "audit-log.key"), "--name", LogOrigin, "--type", "log");
        WitnessKey = await ServiceProcess.RunAsync("witness", "vkey", "--key-file", Path.Combine(KeyDirectory, "witness", "witness.key"), "--name", WitnessName, "--type", "witness");
        _witnessPort = ServiceProcess.FreePort();
        // As './bodycam up' does: every queue and binding exists before any service publishes, so a
        // fact published at start (a policy version, a signing key) has a queue to wait in.
        await Task.WhenAll(ServiceNames.Select(name => ServiceProcess.RunAsync(name, new Dictionary<string, string>(EnvironmentFor(name)) { ["BodyCam__DeployTopology"] = "true" })));
        Witness = ServiceProcess.Start("witness", _witnessPort, WitnessEnvironment());
        foreach (var name in ServiceNames)
        {
            _services[name] = ServiceProcess.Start(name, ServiceProcess.FreePort(), EnvironmentFor(name));
        }

        Gateway = ServiceProcess.Start("gateway", _gatewayPort, GatewayEnvironment());
        await Task.WhenAll(_services.Values.Select(s => s.WaitUntilAsync("health/ready", TimeSpan.FromSeconds(120))));
        await Gateway.WaitUntilAsync("health/ready", TimeSpan.FromSeconds(120));
    }

    /// <summary>The settings <c>./bodycam up</c> gives a service, here pointing at this system's servers.</summary>
    public Dictionary<string, string> EnvironmentFor(string name, string? rabbitMq = null) => new()
    {
        ["Authorisation__PolicyFile"] = PolicyFile,
        ["Authorisation__SigningKeyFile"] = Path.Combine(Path.GetDirectoryName(SigningKeyFile)!, "stream-token-signing.pem"),
        ["Audit__SigningKeyFile"] = Path.Combine(Path.GetDirectoryName(SigningKeyFile)!, "audit-checkpoint-signing.pem"),
        ["Audit__LogKeyFile"] = Path.Combine(KeyDirectory, "audit-log.key"),
        ["Audit__Origin"] = LogOrigin,
        ["Audit__Witnesses__0__Url"] = $"http://127.0.0.1:{_witnessPort}/",
        ["Audit__Witnesses__0__Key"] = WitnessKey,
        ["ConnectionStrings__postgres"] = Database,
        // Each service as its own RabbitMQ user with the permissions './bodycam up' gives it, where './bodycam test' made them.
        ["ConnectionStrings__rabbitmq"] = rabbitMq ?? Environment.GetEnvironmentVariable($"BODYCAM_TEST_RABBITMQ_{name.ToUpperInvariant()}") ?? RabbitMq,
        ["Identity__Authority"] = $"http://127.0.0.1:{_gatewayPort}/",
        ["Identity__Issuer"] = $"http://127.0.0.1:{_gatewayPort}/",
        ["Identity__RequireHttpsMetadata"] = "false",
        ["DataProtection__KeyRingPath"] = Path.Combine(Path.GetDirectoryName(SigningKeyFile)!, "integration-data-protection"),
        // The tests' webhook receivers listen on plain http at 127.0.0.2, allowed here as a deployment
        // would allow its CAD network; every other address inside (127.0.0.1 and the services on it
        // among them) stays refused.
        ["Integration__AllowHttpTargets"] = "true",
        ["Integration__AllowedNetworks"] = "127.0.0.2/32",
        // Anonymous refusals are counted and recorded every two seconds rather than every minute.
        ["Security__RefusalWindow"] = "00:00:02",
        // Webhook retries in seconds rather than minutes, so a failing receiver's story fits in a test.
        ["Integration__RetryDelay"] = "00:00:00.200",
        ["Integration__Retries"] = "3",
        ["Integration__AttemptTimeout"] = "00:00:02",
    };

    /// <summary>Starts a service again on its old port, after a test killed it.</summary>
    public async Task<ServiceProcess> RestartAsync(string name, string? rabbitMq = null, string readyPath = "health/ready")
    {
        var port = _services[name].Port;
        await _services[name].DisposeAsync();
        var started = ServiceProcess.Start(name, port, EnvironmentFor(name, rabbitMq));
        _services[name] = started;
        await started.WaitUntilAsync(readyPath, TimeSpan.FromSeconds(120));
        return started;
    }

    /// <summary>An access token for a demo user, by the password grant.</summary>
    public async Task<string> TokenForAsync(string username)
    {
        await _tokenLock.WaitAsync();
        try
        {
            if (!_tokens.TryGetValue(username, out var token))
            {
                token = await RequestTokenAsync(new Dictionary<string, string>
                {
                    ["grant_type"] = "password",
                    ["client_id"] = "bodycam-console",
                    ["username"] = username,
                    ["password"] = DemoPassword,
                });
                _tokens[username] = token;
            }

            return token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    /// <summary>An access token for a client (camera or CAD), by client credentials.</summary>
    public Task<string> ClientTokenAsync(string clientId, string clientSecret) =>
        RequestTokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
        });

    public async Task<HttpResponseMessage> PostTokenRequestAsync(Dictionary<string, string> form)
    {
        using var http = Client();
        return await http.PostAsync("connect/token", new FormUrlEncodedContent(form));
    }

    /// <summary>A client of the gateway, with a bearer token when one is given.</summary>
    public HttpClient Client(string? token = null, Uri? address = null)
    {
        var http = new HttpClient { BaseAddress = address ?? GatewayAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public async Task<HttpClient> ClientForAsync(string username) => Client(await TokenForAsync(username));

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_services.Values.Select(s => s.DisposeAsync().AsTask()));
        if (Witness is not null)
        {
            await Witness.DisposeAsync();
        }

        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        if (_servers is not null)
        {
            var database = new NpgsqlConnectionStringBuilder(Database).Database;
            // The tests' own connections (to tamper with rows, say) wait idle in this process's pool.
            NpgsqlConnection.ClearAllPools();
            await using (var admin = new NpgsqlConnection(_servers.Postgres))
            {
                await admin.OpenAsync();
                // A service that is still closing holds connections as its own role, which this role
                // may not terminate: wait (bounded) until they are gone, then drop.
                await Eventually.Async(async () =>
                {
                    await using var open = new NpgsqlCommand("select count(*) from pg_stat_activity where datname = @db and pid <> pg_backend_pid()", admin);
                    open.Parameters.AddWithValue("db", database!);
                    return (long)(await open.ExecuteScalarAsync())! == 0 ? admin : null;
                }, TimeSpan.FromSeconds(30), $"the services' connections to {database} closed");
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }

            await _servers.DisposeAsync();
        }

        var keys = Path.GetDirectoryName(SigningKeyFile)!;
        if (Directory.Exists(keys))
        {
            Directory.Delete(keys, recursive: true);
        }
    }

    private Dictionary<string, string> GatewayEnvironment()
    {
        var environment = EnvironmentFor("gateway");
        environment["Identity__SigningKeyFile"] = SigningKeyFile;
        environment["Identity__SeedDemo"] = "true";
        environment["Identity__DemoPassword"] = DemoPassword;
        // './bodycam test' builds the console before the tests run.
        environment["Console__Root"] = Path.Combine(ServiceProcess.RepositoryRoot(), "gateway", "console", "dist");
        foreach (var (name, service) in _services)
        {
            environment[$"ReverseProxy__Clusters__{name}__Destinations__primary__Address"] = service.Address.ToString();
        }

        return environment;
    }

    private async Task<string> RequestTokenAsync(Dictionary<string, string> form)
    {
        using var response = await PostTokenRequestAsync(form);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Token request refused ({(int)response.StatusCode}): {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }
}
