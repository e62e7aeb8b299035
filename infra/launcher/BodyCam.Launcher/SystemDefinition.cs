using System.Globalization;

namespace BodyCam.Launcher;

/// <summary>What a process is to the system: the log's witness, a service behind the gateway, or the gateway.</summary>
public enum ProcessRole
{
    Witness,
    Service,
    Gateway,
}

/// <summary>One process of the system: its name, the project it is built from (relative to the repository), and the port it listens on by default.</summary>
public sealed record ProcessDefinition(string Name, string Project, int DefaultPort, ProcessRole Role)
{
    /// <summary>The built program, for a build <paramref name="configuration"/> of the repository at <paramref name="root"/>.</summary>
    public string Binary(string root, string configuration) =>
        Path.Combine(root, Project, "bin", configuration, "net10.0", Path.GetFileName(Project) + ".dll");
}

/// <summary>
/// The running system, defined once: every process in the order it starts (the witness, then the
/// services, then the gateway that fronts them), and the settings each is started with. The embedded
/// default (<c>./bodycam up</c>), the tests (free ports, a database of their own) and a cluster (other
/// hosts) differ only in the <see cref="SystemSettings"/> they give.
/// </summary>
public static class SystemDefinition
{
    public static readonly IReadOnlyList<ProcessDefinition> Processes =
    [
        new("witness", "infra/witness/BodyCam.Witness", 5107, ProcessRole.Witness),
        new("ingest", "services/Ingest/BodyCam.Ingest", 5101, ProcessRole.Service),
        new("location", "services/Location/BodyCam.Location", 5102, ProcessRole.Service),
        new("authorisation", "services/Authorisation/BodyCam.Authorisation", 5103, ProcessRole.Service),
        new("streaming", "services/Streaming/BodyCam.Streaming", 5104, ProcessRole.Service),
        new("audit", "services/Audit/BodyCam.Audit", 5105, ProcessRole.Service),
        new("integration", "services/Integration/BodyCam.Integration", 5106, ProcessRole.Service),
        new("gateway", "gateway/BodyCam.Gateway", 8080, ProcessRole.Gateway),
    ];

    // A cluster's gateways probe every node's services: every ProbeInterval, each probe given
    // ProbeTimeout, a node out after ProbeFailures failures in a row. Probes that time out come one
    // every interval plus timeout, so the probes alone need up to LostNodeOutFor to take a lost node
    // out; a request that finds it lost takes it out at once for that long, so it is not let back in
    // before the probes have seen it (at 10 s, a gateway sent a query to a node lost 11 s before).
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private const int ProbeFailures = 3;
    private static readonly TimeSpan LostNodeOutFor = ProbeInterval + ProbeFailures * (ProbeInterval + ProbeTimeout);

    /// <summary>The six services behind the gateway, each with its own database role, schema and RabbitMQ user.</summary>
    public static IReadOnlyList<ProcessDefinition> Services { get; } = [.. Processes.Where(p => p.Role == ProcessRole.Service)];

    /// <summary>Who holds a PostgreSQL role of their own: each service, and the gateway's identity store.</summary>
    public static IReadOnlyList<string> DatabaseRoles { get; } = [.. Services.Select(s => s.Name), "identity"];

    /// <summary>Who holds a RabbitMQ user of their own: each service, and the gateway.</summary>
    public static IReadOnlyList<string> BrokerUsers { get; } = [.. Services.Select(s => s.Name), "gateway"];

    public static ProcessDefinition Process(string name) =>
        Processes.FirstOrDefault(p => p.Name == name) ?? throw new ArgumentException($"'{name}' is not a process of the system.", nameof(name));

    /// <summary>The address <paramref name="process"/> listens on with these settings.</summary>
    public static Uri Address(ProcessDefinition process, SystemSettings settings) =>
        new($"http://{settings.Host}:{settings.PortOf(process)}/");

    /// <summary>
    /// The settings <paramref name="process"/> runs with (environment variables, as ASP.NET Core
    /// configuration reads them): where the identity provider is, its own database role and broker
    /// user, the keys it signs with, and for the gateway where each service is.
    /// </summary>
    public static Dictionary<string, string> Environment(ProcessDefinition process, SystemSettings settings)
    {
        var keys = settings.KeyDirectory;
        var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = settings.AspNetCoreEnvironment };
        if (process.Role == ProcessRole.Witness)
        {
            environment["Witness__Name"] = settings.WitnessName;
            environment["Witness__KeyFile"] = Path.Combine(settings.WitnessDirectory, "witness.key");
            environment["Witness__StoreDirectory"] = settings.WitnessDirectory;
            environment["Witness__Logs__0__Key"] = settings.LogKey;
            return environment;
        }

        var gateway = Address(Process("gateway"), settings).ToString();
        environment["Identity__Authority"] = gateway;
        environment["Identity__Issuer"] = settings.Issuer ?? gateway;
        environment["Identity__RequireHttpsMetadata"] = "false";
        environment["ConnectionStrings__rabbitmq"] = settings.RabbitMq(process.Name);
        if (process.Role == ProcessRole.Gateway)
        {
            environment["ConnectionStrings__postgres"] = settings.Postgres("identity");
            environment["Identity__SigningKeyFile"] = Path.Combine(keys, "identity-signing.pem");
            environment["Identity__SeedDemo"] = settings.SeedDemo ? "true" : "false";
            environment["Identity__DemoPassword"] = settings.DemoPassword;
            environment["Console__Root"] = Path.Combine(settings.Root, "gateway", "console", "dist");
            if (settings.Nodes.Count == 0)
            {
                foreach (var service in Services)
                {
                    environment[$"ReverseProxy__Clusters__{service.Name}__Destinations__primary__Address"] = Address(service, settings).ToString();
                }
            }
            else
            {
                // Every node's instance of every service, each checked every 2 s and taken out at once
                // when requests to it fail: a lost node leaves every gateway's clusters (and the
                // streaming ring) within seconds. Destinations are named for their node, the same
                // on every gateway, so every gateway builds the same ring.
                foreach (var service in Services)
                {
                    for (var i = 0; i < settings.Nodes.Count; i++)
                    {
                        environment[$"ReverseProxy__Clusters__{service.Name}__Destinations__n{i + 1}__Address"] =
                            Address(service, settings with { Host = settings.Nodes[i] }).ToString();
                    }

                    var check = $"ReverseProxy__Clusters__{service.Name}__HealthCheck__";
                    environment[check + "Active__Enabled"] = "true";
                    environment[check + "Active__Interval"] = "00:00:02";
                    // Generous for nodes sharing two cores: a probe that times out under load takes a
                    // node out of the streaming ring, and a camera pushed meanwhile lands elsewhere.
                    environment[check + "Active__Timeout"] = "00:00:03";
                    environment[check + "Active__Policy"] = "ConsecutiveFailures";
                    environment[check + "Active__Path"] = "/health/live";
                    environment[check + "Passive__Enabled"] = "true";
                    // A request that finds the node lost (no connection, or one that went silent) takes
                    // it out at once, until the active probes have had time to see it (gateway/Proxy/LostNodes).
                    environment[check + "Passive__Policy"] = "LostNode";
                    environment[check + "Passive__ReactivationPeriod"] = LostNodeOutFor.ToString("c", CultureInfo.InvariantCulture);
                    environment[$"ReverseProxy__Clusters__{service.Name}__Metadata__ConsecutiveFailuresHealthPolicy.Threshold"] =
                        ProbeFailures.ToString(CultureInfo.InvariantCulture);
                }
            }

            if (settings.RateLimits is { } limits)
            {
                environment["RateLimits__Enabled"] = limits ? "true" : "false";
            }
        }
        else
        {
            environment["ConnectionStrings__postgres"] = settings.Postgres(process.Name);
            switch (process.Name)
            {
                case "authorisation":
                    environment["Authorisation__SigningKeyFile"] = Path.Combine(keys, "stream-token-signing.pem");
                    if (settings.PolicyFile is { } policy)
                    {
                        environment["Authorisation__PolicyFile"] = policy;
                    }

                    break;
                case "audit":
                    environment["Audit__SigningKeyFile"] = Path.Combine(keys, "audit-checkpoint-signing.pem");
                    environment["Audit__LogKeyFile"] = Path.Combine(keys, "audit-log.key");
                    environment["Audit__Origin"] = settings.LogOrigin;
                    environment["Audit__Witnesses__0__Url"] = (settings.Witness ?? Address(Process("witness"), settings)).ToString();
                    environment["Audit__Witnesses__0__Key"] = settings.WitnessKey;
                    for (var i = 0; i < settings.FormerLogKeys.Count; i++)
                    {
                        environment[$"Audit__FormerLogKeys__{i}"] = settings.FormerLogKeys[i];
                    }

                    break;
                case "streaming":
                    // The other nodes' streaming, asked for their streams when the list is asked for.
                    foreach (var (peer, i) in settings.Nodes.Where(n => n != settings.Host).Select((n, i) => (n, i)))
                    {
                        environment[$"Streaming__Peers__{i}"] = Address(process, settings with { Host = peer }).ToString();
                    }

                    break;
                case "integration":
                    // Webhook secrets are encrypted with keys kept here, not in the database.
                    environment["DataProtection__KeyRingPath"] = Path.Combine(keys, "integration-data-protection");
                    break;
            }
        }

        foreach (var (key, value) in settings.Extra)
        {
            environment[key] = value;
        }

        return environment;
    }
}
