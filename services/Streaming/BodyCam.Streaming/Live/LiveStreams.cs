using System.Collections.Concurrent;
using BodyCam.Streaming.Cameras;
using BodyCam.Streaming.Grants;
using BodyCam.Streaming.Media;
using BodyCam.Streaming.Records;

namespace BodyCam.Streaming.Live;

/// <summary>
/// Every live stream on this node and every viewer session, with the cut-offs that reach across
/// them: a grant revoked or expired, a camera that stopped recording.
/// </summary>
public sealed class LiveStreams(LiveRecords records, GrantBook grants, CameraBook cameras, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, LiveStream> _streams = new();
    private readonly ConcurrentDictionary<string, byte> _pushing = new();
    private readonly ConcurrentDictionary<string, ViewerSession> _sessions = new();
    private readonly ConcurrentDictionary<string, HlsViewer> _hls = new();
    private readonly ConcurrentDictionary<string, HlsViewer> _hlsByKey = new();
    private bool _wasLive;

    public LiveStream? Find(string cameraId) =>
        _streams.TryGetValue(cameraId, out var stream) && !stream.Ended ? stream : null;

    public IEnumerable<LiveStream> All => _streams.Values.Where(s => !s.Ended);

    public IEnumerable<ViewerSession> Sessions => _sessions.Values;

    /// <summary>Takes the camera's one push slot; false while another push of it is connected.</summary>
    public bool TryClaimPush(string cameraId) => _pushing.TryAdd(cameraId, 0);

    public void ReleasePush(string cameraId) => _pushing.TryRemove(cameraId, out _);

    public void Add(LiveStream stream) => _streams[stream.CameraId] = stream;

    /// <summary>Ends a stream on the record and closes its viewers.</summary>
    public async Task EndAsync(LiveStream stream, string reason, string actorId, Guid correlationId)
    {
        stream.End();
        _streams.TryRemove(new KeyValuePair<string, LiveStream>(stream.CameraId, stream));
        foreach (var hls in _hls.Values.Where(h => h.Pass.CameraId == stream.CameraId))
        {
            hls.End(EndReasons.StreamEnded);
        }

        await records.EndedAsync(stream, reason, actorId, correlationId);
    }

    /// <summary>
    /// Registers a session and then looks again: a revoke, expiry or recording stop that landed
    /// between the check at the door and now is applied to it at once, not missed.
    /// </summary>
    public void Register(ViewerSession session)
    {
        _sessions[session.SessionId] = session;
        Recheck(session, time.GetUtcNow());
    }

    /// <summary>The sessions open on a grant.</summary>
    public IEnumerable<ViewerSession> SessionsOnGrant(string grantId) => _sessions.Values.Where(s => s.Pass.GrantId == grantId);

    /// <summary>The LL-HLS session a session key names, when it is still open and for this camera.</summary>
    public HlsViewer? FindHlsSession(string key, string cameraId)
    {
        if (_hlsByKey.TryGetValue(key, out var viewer) && viewer.EndReason is null && viewer.Pass.CameraId == cameraId)
        {
            viewer.Seen(time.GetUtcNow());
            return viewer;
        }

        return null;
    }

    public void Unregister(ViewerSession session) => _sessions.TryRemove(session.SessionId, out _);

    /// <summary>The LL-HLS session of a grant, started on the record on its first request.</summary>
    public async Task<HlsViewer> HlsSessionAsync(ViewerPass pass, string clientAddress, Guid correlationId, CancellationToken cancellationToken)
    {
        if (_hls.TryGetValue(pass.GrantId, out var existing) && existing.EndReason is null)
        {
            existing.Seen(time.GetUtcNow());
            return existing;
        }

        var started = new HlsViewer(pass, clientAddress, time.GetUtcNow());
        if (existing is not null && !_hls.TryUpdate(pass.GrantId, started, existing))
        {
            return await HlsSessionAsync(pass, clientAddress, correlationId, cancellationToken);
        }

        if (existing is null && !_hls.TryAdd(pass.GrantId, started))
        {
            return await HlsSessionAsync(pass, clientAddress, correlationId, cancellationToken);
        }

        await records.SessionStartedAsync(started, correlationId, cancellationToken);
        _hlsByKey[started.Key] = started;
        Register(started);
        return started;
    }

    /// <summary>Ends every session on a grant; returns how many there were.</summary>
    public int CutOffGrant(string grantId, string reason, string? detail = null) =>
        CutOff(s => s.Pass.GrantId == grantId, reason, detail);

    public int CutOffCamera(string cameraId, string reason, string? detail = null) =>
        CutOff(s => s.Pass.CameraId == cameraId, reason, detail);

    public void ExtendGrant(string grantId, DateTimeOffset until)
    {
        foreach (var session in _sessions.Values.Where(s => s.Pass.GrantId == grantId))
        {
            session.Extend(until);
        }
    }

    /// <summary>
    /// The periodic sweep: sessions whose grant ran out, LL-HLS viewers who stopped asking, and
    /// streams whose camera did not come back in time. Ended LL-HLS sessions are closed on the record
    /// here; WebSocket sessions close their own.
    /// </summary>
    public async Task SweepAsync(TimeSpan hlsIdle, TimeSpan reconnectGrace)
    {
        var now = time.GetUtcNow();
        foreach (var session in _sessions.Values)
        {
            Recheck(session, now);
        }

        foreach (var (grantId, hls) in _hls)
        {
            if (hls.EndReason is null && now - hls.LastSeen > hlsIdle)
            {
                hls.End(EndReasons.ViewerLeft);
            }

            if (hls.EndReason is not null && _hls.TryRemove(new KeyValuePair<string, HlsViewer>(grantId, hls)))
            {
                _hlsByKey.TryRemove(hls.Key, out _);
                Unregister(hls);
                await records.SessionEndedAsync(hls, Guid.NewGuid());
            }
        }

        var live = !_streams.IsEmpty || !_pushing.IsEmpty;
        if (!live && _wasLive)
        {
            // The last camera has gone: the buffers kept for reuse go back to the collector, and the
            // collector gives the memory back to the machine now rather than at some later collection
            // (the windows were long-lived, so they sit in the oldest generation). Once per idle spell.
            FragmentPool.Buffers.Trim();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        _wasLive = live;

        foreach (var stream in _streams.Values)
        {
            if (!stream.Pushing && stream.DroppedAt is { } dropped && now - dropped > reconnectGrace && !_pushing.ContainsKey(stream.CameraId))
            {
                await EndAsync(stream, "push-ended", LiveRecords.System, Guid.NewGuid());
            }
        }
    }

    /// <summary>On shutdown: every session and stream is ended on the record.</summary>
    public async Task StopAllAsync()
    {
        CutOff(_ => true, EndReasons.ServiceStopping, null);
        foreach (var stream in _streams.Values)
        {
            await EndAsync(stream, EndReasons.ServiceStopping, LiveRecords.System, Guid.NewGuid());
        }

        await SweepAsync(TimeSpan.Zero, TimeSpan.MaxValue);
    }

    /// <summary>Ends a session whose grant ran out or ended, or whose camera stopped recording, as streaming knows them now.</summary>
    private void Recheck(ViewerSession session, DateTimeOffset now)
    {
        if (grants.Find(session.Pass.GrantId) is { EndedBecause: { } ended } grant)
        {
            session.End(ended, grant.EndDetail);
        }
        else if (cameras.Find(session.Pass.CameraId) is { Recording: false })
        {
            session.End(EndReasons.RecordingStopped, "The camera stopped recording.");
        }
        else if (now >= session.Deadline)
        {
            session.End(EndReasons.GrantExpired, "The grant has expired.");
        }
    }

    private int CutOff(Func<ViewerSession, bool> which, string reason, string? detail)
    {
        var count = 0;
        foreach (var session in _sessions.Values)
        {
            if (which(session) && session.End(reason, detail))
            {
                count++;
            }
        }

        return count;
    }
}

/// <summary>Sweeps <see cref="LiveStreams"/> five times a second, so every cut-off lands within a second.</summary>
public sealed class LiveKeeper(LiveStreams streams, LiveRecords records, IConfiguration configuration, ILogger<LiveKeeper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var closed = await records.CloseLeftOpenAsync(stoppingToken);
        if (closed > 0)
        {
            log.LogWarning("Closed {Count} streams and viewer sessions the last run left open", closed);
        }

        var hlsIdle = configuration.GetValue("Streaming:HlsIdleTimeout", TimeSpan.FromSeconds(8));
        var grace = configuration.GetValue("Streaming:ReconnectGrace", TimeSpan.FromSeconds(60));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await streams.SweepAsync(hlsIdle, grace);
                }
                catch (Exception e)
                {
                    log.LogError(e, "The live sweep failed; it runs again in 200 ms");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await streams.StopAllAsync();
    }
}
