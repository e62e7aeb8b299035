namespace BodyCam.Launcher;

/// <summary>
/// Where and with what the system runs: the one thing that differs between the embedded default,
/// a test's system and a node of a cluster. Keys live in <see cref="KeyDirectory"/> under fixed
/// names (identity-signing.pem, stream-token-signing.pem, audit-checkpoint-signing.pem,
/// audit-log.key, integration-data-protection/); the witness keeps its key and store in
/// <see cref="WitnessDirectory"/>.
/// </summary>
public sealed record SystemSettings
{
    /// <summary>The repository, whose build is run.</summary>
    public required string Root { get; init; }

    public string Configuration { get; init; } = "Release";

    /// <summary>The address every process listens on and is reached at.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>
    /// The hosts of every node of a cluster (this one among them), each running every service: the
    /// gateway routes to all of them. Empty on one machine.
    /// </summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];

    /// <summary>The issuer every gateway of a cluster names in its tokens (by default this node's gateway).</summary>
    public string? Issuer { get; init; }

    /// <summary>Where the witness is, when it runs elsewhere (by default beside the services).</summary>
    public Uri? Witness { get; init; }

    /// <summary>Ports other than the definition's defaults, by process name (the tests take free ones).</summary>
    public IReadOnlyDictionary<string, int> Ports { get; init; } = new Dictionary<string, int>();

    public required string KeyDirectory { get; init; }

    public required string WitnessDirectory { get; init; }

    /// <summary>The PostgreSQL connection string for a database role (a service's name, or "identity" for the gateway).</summary>
    public required Func<string, string> Postgres { get; init; }

    /// <summary>The RabbitMQ address, with its user, for a process (a service's name, or "gateway").</summary>
    public required Func<string, string> RabbitMq { get; init; }

    /// <summary>The audit log's verifier key (C2SP signed-note: name+id+base64), which the witness checks.</summary>
    public required string LogKey { get; init; }

    /// <summary>The witness's cosignature verifier key, which audit checks.</summary>
    public required string WitnessKey { get; init; }

    public string LogOrigin { get; init; } = "bodycam.local/audit";

    public string WitnessName { get; init; } = "bodycam.local/witness";

    /// <summary>Verifier keys of log keys rotated out, so older checkpoints stay verifiable.</summary>
    public IReadOnlyList<string> FormerLogKeys { get; init; } = [];

    /// <summary>A view policy file other than the one authorisation ships with.</summary>
    public string? PolicyFile { get; init; }

    public bool SeedDemo { get; init; } = true;

    public string DemoPassword { get; init; } = "demo";

    /// <summary>The gateway's rate limits on or off; unset keeps its own setting (on).</summary>
    public bool? RateLimits { get; init; }

    public string AspNetCoreEnvironment { get; init; } = "Production";

    /// <summary>Settings given to every service and the gateway on top of the definition's (a test's shorter retries, say).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    public int PortOf(ProcessDefinition process) => Ports.TryGetValue(process.Name, out var port) ? port : process.DefaultPort;
}
