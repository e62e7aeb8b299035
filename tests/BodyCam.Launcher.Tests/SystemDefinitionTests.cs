using System.Text.Json;
using BodyCam.Launcher;
using Xunit;

namespace BodyCam.Launcher.Tests;

/// <summary>
/// The one definition of the running system that './bodycam', the tests and a cluster start from:
/// every process is a project of this repository, no two share a port, each service runs as its own
/// database role and broker user, and the gateway is told where every service is.
/// </summary>
public sealed class SystemDefinitionTests
{
    private static readonly string Root = FindRoot();

    private static readonly SystemSettings Settings = new()
    {
        Root = Root,
        KeyDirectory = "/keys",
        WitnessDirectory = "/witness",
        Postgres = role => $"postgres-of-{role}",
        RabbitMq = user => $"rabbitmq-of-{user}",
        LogKey = "log-key",
        WitnessKey = "witness-key",
        Extra = new Dictionary<string, string> { ["Extra__Setting"] = "on" },
    };

    [Fact]
    public void Every_process_is_a_project_of_the_repository_on_a_port_of_its_own()
    {
        Assert.All(SystemDefinition.Processes, p => Assert.True(File.Exists(Path.Combine(Root, p.Project, Path.GetFileName(p.Project) + ".csproj")), $"{p.Name}: {p.Project}"));
        Assert.Equal(SystemDefinition.Processes.Count, SystemDefinition.Processes.Select(p => p.DefaultPort).Distinct().Count());
        Assert.Equal(SystemDefinition.Processes.Count, SystemDefinition.Processes.Select(p => p.Name).Distinct().Count());
        Assert.Equal("witness", SystemDefinition.Processes[0].Name);
        Assert.Equal("gateway", SystemDefinition.Processes[^1].Name);
    }

    [Fact]
    public void Each_service_runs_as_its_own_database_role_and_broker_user()
    {
        foreach (var service in SystemDefinition.Services)
        {
            var environment = SystemDefinition.Environment(service, Settings);
            Assert.Equal($"postgres-of-{service.Name}", environment["ConnectionStrings__postgres"]);
            Assert.Equal($"rabbitmq-of-{service.Name}", environment["ConnectionStrings__rabbitmq"]);
            Assert.Equal("http://127.0.0.1:8080/", environment["Identity__Authority"]);
            Assert.Equal("on", environment["Extra__Setting"]);
        }

        var gateway = SystemDefinition.Environment(SystemDefinition.Process("gateway"), Settings);
        Assert.Equal("postgres-of-identity", gateway["ConnectionStrings__postgres"]);
        Assert.Equal("rabbitmq-of-gateway", gateway["ConnectionStrings__rabbitmq"]);
        Assert.Equal([.. SystemDefinition.Services.Select(s => s.Name), "identity"], SystemDefinition.DatabaseRoles);
    }

    [Fact]
    public void The_gateway_is_told_where_every_service_its_routes_name_is()
    {
        var ports = SystemDefinition.Processes.ToDictionary(p => p.Name, p => p.DefaultPort + 1000);
        var gateway = SystemDefinition.Environment(SystemDefinition.Process("gateway"), Settings with { Ports = ports, Host = "10.0.0.7" });
        using var appsettings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "gateway", "BodyCam.Gateway", "appsettings.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var clusters = appsettings.RootElement.GetProperty("ReverseProxy").GetProperty("Clusters").EnumerateObject().Select(c => c.Name).ToList();

        Assert.Equal(SystemDefinition.Services.Select(s => s.Name).Order(), clusters.Order());
        foreach (var service in SystemDefinition.Services)
        {
            Assert.Equal($"http://10.0.0.7:{service.DefaultPort + 1000}/", gateway[$"ReverseProxy__Clusters__{service.Name}__Destinations__primary__Address"]);
        }
    }

    [Fact]
    public void A_cluster_gateway_keeps_a_lost_node_out_until_its_probes_could_have_seen_it()
    {
        var gateway = SystemDefinition.Environment(SystemDefinition.Process("gateway"), Settings with { Host = "10.0.0.1", Nodes = ["10.0.0.1", "10.0.0.2", "10.0.0.3"] });
        foreach (var service in SystemDefinition.Services)
        {
            string Setting(string name) => gateway[$"ReverseProxy__Clusters__{service.Name}__{name}"];
            var interval = TimeSpan.Parse(Setting("HealthCheck__Active__Interval"), System.Globalization.CultureInfo.InvariantCulture);
            var timeout = TimeSpan.Parse(Setting("HealthCheck__Active__Timeout"), System.Globalization.CultureInfo.InvariantCulture);
            var failures = int.Parse(Setting("Metadata__ConsecutiveFailuresHealthPolicy.Threshold"), System.Globalization.CultureInfo.InvariantCulture);
            var outFor = TimeSpan.Parse(Setting("HealthCheck__Passive__ReactivationPeriod"), System.Globalization.CultureInfo.InvariantCulture);

            // The first probe after the loss, then each failing probe waiting out its timeout.
            Assert.True(outFor >= interval + failures * (interval + timeout), $"{service.Name}: out for {outFor}, probes need up to {interval + failures * (interval + timeout)}");
            Assert.Equal("LostNode", Setting("HealthCheck__Passive__Policy"));
        }
    }

    [Fact]
    public void Audit_is_given_its_witness_and_the_witness_the_log_it_watches()
    {
        var audit = SystemDefinition.Environment(SystemDefinition.Process("audit"), Settings with { FormerLogKeys = ["old-key"] });
        var witness = SystemDefinition.Environment(SystemDefinition.Process("witness"), Settings);

        Assert.Equal("http://127.0.0.1:5107/", audit["Audit__Witnesses__0__Url"]);
        Assert.Equal("witness-key", audit["Audit__Witnesses__0__Key"]);
        Assert.Equal("old-key", audit["Audit__FormerLogKeys__0"]);
        Assert.Equal("/keys/audit-log.key", audit["Audit__LogKeyFile"]);
        Assert.Equal("log-key", witness["Witness__Logs__0__Key"]);
        Assert.Equal("/witness/witness.key", witness["Witness__KeyFile"]);
        // The witness belongs to another organisation: none of the force's settings reach it.
        Assert.DoesNotContain(witness.Keys, k => k.StartsWith("ConnectionStrings", StringComparison.Ordinal) || k == "Extra__Setting");
    }

    [Fact]
    public void Secrets_are_made_once_for_every_role_and_user_and_never_changed()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-secrets-{Guid.NewGuid():N}", "secrets.env");
        try
        {
            var first = Secrets.LoadOrCreate(file);
            File.AppendAllText(file, "UNRELATED=kept\n");
            var again = Secrets.LoadOrCreate(file);

            Assert.All(SystemDefinition.DatabaseRoles, r => Assert.Equal(first.Postgres(r), again.Postgres(r)));
            Assert.All(SystemDefinition.BrokerUsers, u => Assert.Equal(first.RabbitMq(u), again.RabbitMq(u)));
            Assert.Equal(SystemDefinition.DatabaseRoles.Count, SystemDefinition.DatabaseRoles.Select(first.Postgres).Distinct().Count());
            Assert.Contains("UNRELATED=kept", File.ReadAllLines(file));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BodyCam.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("BodyCam.sln not found above " + AppContext.BaseDirectory);
    }
}
