using BodyCam.Location.Map.Sharing;
using BodyCam.Location.Operations;
using Marten;
using MassTransit;

namespace BodyCam.Location.Map;

/// <summary>
/// Rebuilds the live map and the operations from the location store before any message is taken,
/// and reads them again whenever this instance's map queue (re)connects (<see cref="MapSharing"/>):
/// changes the other instances passed on while it had no queue are then in the store.
/// </summary>
public sealed class MapLoader(IDocumentStore store, LiveMap map, OperationAreas operations, ILogger<MapLoader> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var assignments = await session.Query<AssignmentFacet>().ToListAsync(cancellationToken);
        var stillAssigned = assignments.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (cameraId, officerId) in map.Assigned().Where(a => !stillAssigned.Contains(a.CameraId)))
        {
            new MapFact(cameraId) { DockedFrom = officerId }.ApplyTo(map);
        }

        foreach (var a in assignments)
        {
            map.Assign(a.Id, a.OfficerId, a.Callsign, a.Command);
        }

        foreach (var r in await session.Query<RecordingFacet>().ToListAsync(cancellationToken))
        {
            map.Record(r.Id, r.Recording, r.ChangedAt);
        }

        foreach (var s in await session.Query<StreamingFacet>().ToListAsync(cancellationToken))
        {
            map.Stream(s.Id, s.Live, s.OpenSessions.Count);
        }

        foreach (var p in await session.Query<PositionFacet>().ToListAsync(cancellationToken))
        {
            map.Move(p.Id, p);
        }

        foreach (var operation in await session.Query<Operation>().ToListAsync(cancellationToken))
        {
            operations.Add(operation);
        }

        log.LogInformation("Live map read from the store: {OnMap} officers on the map, {Operations} operations", map.OnMapCount, operations.All.Count);
    }
}

/// <summary>
/// Reads the map again when this instance's map queue is ready: at start (changes made between the
/// first read and the queue's binding), and after the broker came back. The loader is found when
/// needed, not when the bus is built (the store's publisher needs the bus).
/// </summary>
public sealed class MapQueueWatch(IServiceProvider services, LocationInstance instance, ILogger<MapQueueWatch> log) : IReceiveEndpointObserver
{
    public async Task Ready(ReceiveEndpointReady ready)
    {
        if (!ready.InputAddress.AbsolutePath.EndsWith($"/{instance.Queue}", StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            await services.GetRequiredService<MapLoader>().LoadAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogError(e, "Reading the live map again after the map queue came back failed; it is read again when the queue next connects");
        }
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}
