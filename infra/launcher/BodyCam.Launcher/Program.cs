// bodycam-launcher: the running system as './bodycam' starts it on one machine.
//   plan --root DIR --state DIR [--configuration C] [--port N] [--host H]
//        [--plan DIR] [--nodes H1,H2,..] [--postgres H[,H2]] [--rabbitmq H] [--issuer URL] [--witness URL]
//       the passwords (made when missing, in STATE/secrets.env), the keys' verifier keys, and for each
//       process in start order a line "name role url dll" in STATE/plan/processes (or --plan DIR) and
//       its settings (KEY=VALUE lines) in STATE/plan/NAME.env. The rest make a node of a cluster:
//       every node's services behind its gateway, PostgreSQL's hosts (the primary found by each
//       connection), this node's RabbitMQ, one issuer, and the witness elsewhere.
//   list services|database-roles|broker-users
//       names from the definition, one a line
using System.Globalization;
using BodyCam.Launcher;

var command = args.FirstOrDefault();
string Option(string name, string fallback)
{
    var at = Array.IndexOf(args, "--" + name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

switch (command)
{
    case "list":
        var names = args.ElementAtOrDefault(1) switch
        {
            "services" => SystemDefinition.Services.Select(s => s.Name),
            "database-roles" => SystemDefinition.DatabaseRoles,
            "broker-users" => SystemDefinition.BrokerUsers,
            var other => throw new ArgumentException($"list services|database-roles|broker-users, not '{other}'"),
        };
        Console.Out.Write(string.Concat(names.Select(n => n + "\n")));
        return 0;

    case "plan":
        var root = Path.GetFullPath(Option("root", "."));
        var state = Path.GetFullPath(Option("state", Path.Combine(root, ".bodycam")));
        var configuration = Option("configuration", "Release");
        var secrets = Secrets.LoadOrCreate(Path.Combine(state, "secrets.env"));
        var keys = Path.Combine(state, "keys");
        var witness = Path.Combine(state, "witness");
        var origin = "bodycam.local/audit";
        var witnessName = "bodycam.local/witness";
        var formerKeys = Path.Combine(keys, "audit-former-log-keys");
        string Variable(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
        var nodes = Option("nodes", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var postgresHosts = string.Join(',', Option("postgres", "127.0.0.1").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(h => $"{h}:5432"));
        var rabbitMqHost = Option("rabbitmq", "127.0.0.1");
        var host = Option("host", "127.0.0.1");
        var extra = new Dictionary<string, string>();
        if (nodes.Length > 0)
        {
            // A node of a cluster: queues replicated over the RabbitMQ nodes, the instance named for its node.
            extra["Messaging__QuorumQueues"] = "true";
            extra["BodyCam__Instance"] = host.Replace('.', '-');
            extra["Streaming__FollowStore"] = "true";
        }

        var settings = new SystemSettings
        {
            Root = root,
            Configuration = configuration,
            Host = host,
            Nodes = nodes,
            Issuer = Option("issuer", "") is { Length: > 0 } issuer ? issuer : null,
            Witness = Option("witness", "") is { Length: > 0 } witnessUrl ? new Uri(witnessUrl) : null,
            Extra = extra,
            Ports = new Dictionary<string, int> { ["gateway"] = int.Parse(Option("port", "8080"), CultureInfo.InvariantCulture) },
            KeyDirectory = keys,
            WitnessDirectory = witness,
            // The local cluster gives the primary's own address (bc-db-rw), which moves to the promoted
            // replica: a connection being made when the primary is lost is made to the new one once the
            // address has moved (TCP's next try), within Npgsql's connect timeout. With several hosts
            // listed instead, each connection looks for the one that is primary.
            Postgres = role => $"Host={postgresHosts};Database=bodycam;Username=bodycam_{role};Password={secrets.Postgres(role)};Search Path={role};"
                + (postgresHosts.Contains(',', StringComparison.Ordinal) ? "Target Session Attributes=primary;" : "")
                // Small pools: six processes share one PostgreSQL.
                + "Maximum Pool Size=10;Connection Idle Lifetime=60",
            RabbitMq = user => $"amqp://bodycam-{user}:{secrets.RabbitMq(user)}@{rabbitMqHost}:5672/bodycam",
            LogOrigin = origin,
            WitnessName = witnessName,
            LogKey = await VerifierKeys.GetAsync(root, configuration, Path.Combine(keys, "audit-log.key"), origin, "log"),
            WitnessKey = await VerifierKeys.GetAsync(root, configuration, Path.Combine(witness, "witness.key"), witnessName, "witness"),
            // After rotating the log key, the old verifier keys (one a line) keep older checkpoints verifiable.
            FormerLogKeys = File.Exists(formerKeys) ? [.. File.ReadAllLines(formerKeys).Where(l => l.Length > 0)] : [],
            SeedDemo = Variable("BODYCAM_DEMO", "true") != "false",
            DemoPassword = Variable("BODYCAM_DEMO_PASSWORD", "demo"),
            RateLimits = Environment.GetEnvironmentVariable("BODYCAM_RATE_LIMITS") is { Length: > 0 } limits ? limits != "false" : null,
            AspNetCoreEnvironment = Variable("ASPNETCORE_ENVIRONMENT", "Production"),
        };

        // The plan holds passwords: only its owner reads it.
        var plan = Path.GetFullPath(Option("plan", Path.Combine(state, "plan")));
        Directory.CreateDirectory(plan);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(plan, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var processes = new List<string>();
        foreach (var process in SystemDefinition.Processes)
        {
            processes.Add($"{process.Name} {process.Role.ToString().ToLowerInvariant()} {SystemDefinition.Address(process, settings)} {process.Binary(root, configuration)}");
            var environment = SystemDefinition.Environment(process, settings);
            Secrets.WriteOwnerOnly(Path.Combine(plan, process.Name + ".env"), environment.Select(e => $"{e.Key}={e.Value}"));
        }

        await File.WriteAllLinesAsync(Path.Combine(plan, "processes"), processes);
        return 0;

    default:
        Console.Error.WriteLine("bodycam-launcher plan --root DIR --state DIR [--configuration C] [--port N] [--host H] | list services|database-roles|broker-users");
        return 2;
}
