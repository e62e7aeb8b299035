using BodyCam.Location.Operations;
using Marten;

namespace BodyCam.Location.Map;

/// <summary>Rebuilds the live map and the operations from the location store before any message is taken.</summary>
public sealed class MapLoader(IDocumentStore store, LiveMap map, OperationAreas operations, ILogger<MapLoader> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var assignments = await session.Query<AssignmentFacet>().ToListAsync(cancellationToken);
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

        log.LogInformation("Live map rebuilt: {OnMap} officers on the map, {Operations} operations", map.OnMapCount, operations.All.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
