using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Launcher;
using Npgsql;
using Xunit;

namespace BodyCam.Testing;

/// <summary>
/// The whole system for a test class or collection: a database of its own on the test PostgreSQL,
/// the test RabbitMQ, every service and the gateway as real processes on free ports, and the demo
/// identities. Tests talk to it through the gateway, as cameras, consoles and CAD systems do. The
/// processes and their settings are <see cref="SystemDefinition"/>'s, as <c>./bodycam up</c> starts
/// them; only the <see cref="SystemSettings"/> differ (free ports, this system's database and keys).
/// </summary>
public sealed class BodyCamSystem : IAsyncLifetime
{
    public static readonly IReadOnlyList<string> ServiceNames = [.. SystemDefinition.Services.Select(s => s.Name)];
    public const string DemoPassword = "demo";

    private readonly Dictionary<string, ServiceProcess> _services = [];
    private readonly Dictionary<string, string> _tokens = [];
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private TestServers? _servers;
    private SystemSettings _settings = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    public Uri GatewayAddress => Gateway.Address;

    /// <summary>A connection string to this system's own database, for checks on what was stored.</summary>
    public string Database { get; private set; } = "";

    public string RabbitMq => _servers!.RabbitMq;

    /// <summary>The identity provider's signing key (the gateway's), with which tests forge tokens; the other keys are beside it.</summary>
    public string SigningKeyFile => Path.Combine(KeyDirectory, "identity-signing.pem");

    /// <summary>This system's own copy of the view policy, which tests may change.</summary>
    public string PolicyFile => Path.Combine(KeyDirectory, "view-policy.json");

    public ServiceProcess Service(string name) => _services[name];

    /// <summary>The audit log's witness (C2SP tlog-witness), a process of its own as <c>./bodycam up</c> runs it.</summary>
    public ServiceProcess Witness { get; private set; } = null!;

    public const string LogOrigin = "bodycam.test/audit";
    public const string WitnessName = "bodycam.test/witness";

    /// <summary>The audit log's Ed25519 verifier key (name+id+base64), and the witness's cosignature key.</summary>
    public string LogKey { get; private set; } = "";

    public string WitnessKey { get; private set; } = "";

    private string KeyDirectory { get; } = Path.Combine(Path.GetTempPath(), $"bodycam-test-{Guid.NewGuid():N}");

    /// <summary>The witness's settings: its own key and store, and the log it witnesses.</summary>
    public Dictionary<string, string> WitnessEnvironment() => SystemDefinition.Environment(SystemDefinition.Process("witness"), _settings);

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
        Directory.CreateDirectory(KeyDirectory);
        var root = ServiceProcess.RepositoryRoot();
        File.Copy(Path.Combine(root, "services", "Authorisation", "BodyCam.Authorisation", "Policy", "view-policy.json"), PolicyFile);
        var witnessDirectory = Path.Combine(KeyDirectory, "witness");
        LogKey = await VerifierKeys.GetAsync(root, ServiceProcess.Configuration, Path.Combine(KeyDirectory, "audit-log.key"), LogOrigin, "log");
        WitnessKey = await VerifierKeys.GetAsync(root, ServiceProcess.Configuration, Path.Combine(witnessDirectory, "witness.key"), WitnessName, "witness");
        _settings = new SystemSettings
        {
            Root = root,
            Configuration = ServiceProcess.Configuration,
            Ports = SystemDefinition.Processes.Zip(ServiceProcess.FreePorts(SystemDefinition.Processes.Count())).ToDictionary(p => p.First.Name, p => p.Second),
            KeyDirectory = KeyDirectory,
            WitnessDirectory = witnessDirectory,
            Postgres = _ => Database,
            // Each service as its own RabbitMQ user with the permissions './bodycam up' gives it, where './bodycam test' made them.
            RabbitMq = name => Environment.GetEnvironmentVariable($"BODYCAM_TEST_RABBITMQ_{name.ToUpperInvariant()}") ?? RabbitMq,
            LogKey = LogKey,
            WitnessKey = WitnessKey,
            LogOrigin = LogOrigin,
            WitnessName = WitnessName,
            PolicyFile = PolicyFile,
            SeedDemo = true,
            DemoPassword = DemoPassword,
            Extra = TestSettings,
        };

        // As './bodycam up' does: every queue and binding exists before any service publishes, so a
        // fact published at start (a policy version, a signing key) has a queue to wait in.
        await Task.WhenAll(ServiceNames.Select(name => ServiceProcess.RunAsync(name, new Dictionary<string, string>(EnvironmentFor(name)) { ["BodyCam__DeployTopology"] = "true" })));
        Witness = ServiceProcess.Start("witness", _settings.PortOf(SystemDefinition.Process("witness")), WitnessEnvironment());
        foreach (var name in ServiceNames)
        {
            _services[name] = ServiceProcess.Start(name, _settings.PortOf(SystemDefinition.Process(name)), EnvironmentFor(name));
        }

        Gateway = ServiceProcess.Start("gateway", _settings.PortOf(SystemDefinition.Process("gateway")), EnvironmentFor("gateway"));
        await Task.WhenAll(_services.Values.Select(s => s.WaitUntilAsync("health/ready", TimeSpan.FromSeconds(120))));
        await Gateway.WaitUntilAsync("health/ready", TimeSpan.FromSeconds(120));
    }

    /// <summary>The settings <c>./bodycam up</c> gives a process (the system's definition), here pointing at this system's servers; with another RabbitMQ address when one is given.</summary>
    public Dictionary<string, string> EnvironmentFor(string name, string? rabbitMq = null) =>
        SystemDefinition.Environment(SystemDefinition.Process(name), rabbitMq is null ? _settings : _settings with { RabbitMq = _ => rabbitMq });

    /// <summary>Where the tests' settings differ from a deployment's, for every service and the gateway.</summary>
    private static readonly Dictionary<string, string> TestSettings = new()
    {
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

    /// <summary>
    /// Starts another instance of a service beside the running one, as a cluster runs several: the
    /// same settings, a port of its own. The caller disposes it.
    /// </summary>
    public async Task<ServiceProcess> StartInstanceAsync(string name)
    {
        var instance = ServiceProcess.Start(name, ServiceProcess.FreePort(), EnvironmentFor(name));
        try
        {
            await instance.WaitUntilAsync("health/ready", TimeSpan.FromSeconds(120));
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

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

        if (Directory.Exists(KeyDirectory))
        {
            Directory.Delete(KeyDirectory, recursive: true);
        }
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
