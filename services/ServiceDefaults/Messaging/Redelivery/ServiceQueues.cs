using System.Collections.Concurrent;

namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>The queues this service's consumers read, as MassTransit configured them: the error queues to watch are theirs.</summary>
public sealed class ServiceQueues
{
    private readonly ConcurrentDictionary<string, bool> _names = new(StringComparer.Ordinal);

    public ServiceQueues(string prefix, bool quorum = false)
    {
        Prefix = prefix;
        Quorum = quorum;
    }

    /// <summary>
    /// Whether the service's durable queues are quorum queues, replicated over a RabbitMQ cluster's
    /// nodes, each taken by one instance at a time (<c>Messaging:QuorumQueues</c>, on in a cluster; a
    /// queue's type cannot change once made, so the one-machine default keeps its classic queues).
    /// </summary>
    public bool Quorum { get; }

    /// <summary>A queue of one running instance's own (classic, removed with it): never a quorum queue.</summary>
    public string InstanceQueue(string purpose, string instance) => $"{Prefix}-{purpose}-instance-{instance}";

    public static bool IsInstanceQueue(string name) => name.Contains("-instance-", StringComparison.Ordinal);

    /// <summary>The service's name as its queues and exchanges begin: <c>{prefix}-…</c>.</summary>
    public string Prefix { get; }

    public IReadOnlyList<string> Names => [.. _names.Keys.Order(StringComparer.Ordinal)];

    public void Add(string name) => _names.TryAdd(name, true);

    public bool Contains(string name) => _names.ContainsKey(name);

    /// <summary>The exchange a delayed or replayed message is routed back to its queue through (direct, by queue name).</summary>
    public string RedeliverExchange => $"{Prefix}-redeliver";

    /// <summary>The delay queue (and its fanout exchange) for one wait.</summary>
    public string DelayQueue(TimeSpan delay) => $"{Prefix}-delay-{(long)delay.TotalSeconds}s";

    public static string ErrorQueue(string queue) => $"{queue}_error";
}
