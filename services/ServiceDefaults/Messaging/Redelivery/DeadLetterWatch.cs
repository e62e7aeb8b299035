using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>
/// Declares the delay queues at start (a missing permission shows at once, not at the first
/// failure), then counts the service's error queues every <see cref="DelayedRedeliveryOptions.WatchEvery"/>:
/// the gauge <c>bodycam_messaging_dead_letters{queue}</c>, an Error in the log when a count grows, and
/// <c>/health/ready</c> degraded while any holds a message.
/// </summary>
public sealed class DeadLetterWatch : BackgroundService, IHealthCheck
{
    private readonly RedeliveryBroker _broker;
    private readonly IOptions<DelayedRedeliveryOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DeadLetterWatch> _log;
    private volatile IReadOnlyDictionary<string, uint> _counts = new Dictionary<string, uint>();
    private volatile string? _unknown;

    public DeadLetterWatch(RedeliveryBroker broker, IOptions<DelayedRedeliveryOptions> options, TimeProvider time, IMeterFactory meters, ILogger<DeadLetterWatch> log)
    {
        _broker = broker;
        _options = options;
        _time = time;
        _log = log;
        meters.Create("BodyCam.Messaging").CreateObservableGauge("bodycam.messaging.dead_letters",
            () => _counts.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("queue", ServiceQueues.ErrorQueue(c.Key)))),
            description: "Messages waiting in each error queue for a person to look at");
    }

    public IReadOnlyDictionary<string, uint> Counts => _counts;

    /// <summary>Counts again now (the admin route calls it after a replay).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var counts = await _broker.CountAsync(cancellationToken);
        foreach (var (queue, count) in counts)
        {
            if (count > (_counts.TryGetValue(queue, out var before) ? before : 0))
            {
                _log.LogError("{Count} message(s) wait in {ErrorQueue} for a person to look at: GET the service's admin/dead-letters to see them, POST admin/dead-letters/replay once mended",
                    count, ServiceQueues.ErrorQueue(queue));
            }
        }

        _counts = counts;
        _unknown = null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Value.WatchEvery, _time);
        var declared = false;
        do
        {
            try
            {
                if (!declared)
                {
                    await _broker.DeclareAsync(stoppingToken);
                    declared = true;
                }

                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _unknown = $"the error queues could not be counted: {e.GetType().Name}";
                _log.LogWarning(e, "Counting the error queues failed; trying again in {Interval}", _options.Value.WatchEvery);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var waiting = _counts.Where(c => c.Value > 0).ToDictionary(c => ServiceQueues.ErrorQueue(c.Key), c => (object)c.Value);
        if (waiting.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"{waiting.Values.Sum(v => (uint)v)} message(s) wait in error queues for a person: {string.Join(", ", waiting.Keys)}", data: waiting));
        }

        return Task.FromResult(_unknown is { } unknown ? HealthCheckResult.Degraded(unknown) : HealthCheckResult.Healthy("no message waits in an error queue"));
    }
}
