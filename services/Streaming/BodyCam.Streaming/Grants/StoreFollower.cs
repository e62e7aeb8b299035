using BodyCam.Streaming.Cameras;
using BodyCam.Streaming.Live;
using Marten;
using Marten.Linq.LastModified;

namespace BodyCam.Streaming.Grants;

/// <summary>
/// With several streaming instances (<c>Streaming:FollowStore</c>, on in a cluster), one instance at a
/// time takes the grant and camera facts and stores them; every instance follows the store twice a
/// second and mirrors what changed: a grant revoked or expired cuts its viewers off on whichever node
/// they watch, and a camera that stopped recording closes its viewers there too. Mirroring is
/// idempotent: the instance that stored a fact has applied it already, and applying it again changes nothing.
/// </summary>
public sealed class StoreFollower(IDocumentStore store, GrantBook grants, CameraBook cameras, LiveStreams streams, TimeProvider time, ILogger<StoreFollower> log)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    // A document committed a moment before a read may carry a slightly earlier time: each read looks back further.
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var since = time.GetUtcNow() - Overlap;
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            try
            {
                await FollowAsync(since - Overlap, stoppingToken);
                since = now;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Following the store for grant and camera changes failed; trying again in {Interval}", Interval);
            }
        }
    }

    private async Task FollowAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        foreach (var fact in await session.Query<GrantFact>().Where(f => f.ModifiedSince(since)).ToListAsync(cancellationToken))
        {
            grants.Set(fact);
            if (fact.EndedBecause is { } reason)
            {
                streams.CutOffGrant(fact.Id, reason, fact.EndDetail);
            }
        }

        foreach (var camera in await session.Query<StreamingCamera>().Where(c => c.ModifiedSince(since)).ToListAsync(cancellationToken))
        {
            cameras.Set(camera);
            if (camera.Recording == false)
            {
                streams.CutOffCamera(camera.Id, EndReasons.RecordingStopped, "The camera stopped recording.");
            }
        }
    }
}
