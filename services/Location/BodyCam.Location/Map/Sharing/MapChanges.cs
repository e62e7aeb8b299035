using System.Threading.Channels;
using BodyCam.Location.Operations;
using MassTransit;

namespace BodyCam.Location.Map.Sharing;

/// <summary>
/// Applies a stored change to this instance's live map at once and passes it on to the other
/// location instances (<see cref="MapChanged"/>), in the order it was made, a batch at a time.
/// </summary>
/// <remarks>
/// While the broker is away nothing new reaches location either (every fact comes through it), so
/// the queue holds little; if it ever fills, the oldest changes go, and the other instances'
/// <see cref="MapResync"/> reads the map from the store when their queue comes back.
/// </remarks>
public sealed class MapChanges(LiveMap map, OperationAreas areas, IBus bus, LocationInstance instance, ILogger<MapChanges> log) : BackgroundService
{
    public const int MaxBatch = 500;
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    private readonly Channel<object> _queue = Channel.CreateBounded<object>(
        new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });

    public void Share(MapFact fact)
    {
        fact.ApplyTo(map);
        _queue.Writer.TryWrite(fact);
    }

    public void Share(Operation opened)
    {
        areas.Add(opened);
        _queue.Writer.TryWrite(opened);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var facts = new List<MapFact>();
        var operations = new List<Operation>();
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            while (facts.Count + operations.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                if (item is MapFact fact)
                {
                    facts.Add(fact);
                }
                else
                {
                    operations.Add((Operation)item);
                }
            }

            while (true)
            {
                try
                {
                    await bus.Publish(new MapChanged(instance.Id, [.. facts], [.. operations]), stoppingToken);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Passing {Count} map changes to the other location instances failed; trying again in {Retry}", facts.Count + operations.Count, Retry);
                    await Task.Delay(Retry, stoppingToken);
                }
            }

            facts.Clear();
            operations.Clear();
        }
    }
}

/// <summary>This location process among its instances: the name of its own map queue.</summary>
public sealed record LocationInstance(string Id)
{
    public static LocationInstance From(IConfiguration configuration) =>
        new(configuration["BodyCam:Instance"] is { Length: > 0 } name ? name : $"{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant());

    /// <summary>The instance's own queue, bound to <see cref="MapChanged.Exchange"/>, removed when it stops.</summary>
    public string Queue => $"location-map-instance-{Id}";
}
