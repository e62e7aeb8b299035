using System.Collections.Concurrent;
using System.Threading.Channels;
using BodyCam.ServiceDefaults;

namespace BodyCam.Location.Map;

/// <summary>
/// The live map, in memory: every camera's entry, a spatial index of those on the map, and the
/// change feed. It is rebuilt from the location store at start; consumers apply each fact after they
/// have stored it. Facts that arrive late (an older sample, an older recording change) never move an
/// officer backwards.
/// </summary>
public sealed class LiveMap(TimeProvider time, Operations.OperationAreas areas)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, MapEntry> _entries = new(StringComparer.Ordinal);
    private readonly OfficerGrid _grid = new();
    private readonly ConcurrentDictionary<Guid, Channel<MapChange>> _followers = new();

    public int OnMapCount
    {
        get
        {
            lock (_gate)
            {
                return _grid.Count;
            }
        }
    }

    public MapEntry? Entry(string cameraId)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(cameraId);
        }
    }

    public void Assign(string cameraId, string officerId, string callsign, string command) =>
        Change(cameraId, e => e with { OfficerId = officerId, Callsign = callsign, Command = command });

    public void Dock(string cameraId) =>
        Change(cameraId, e => e with { OfficerId = null, Callsign = null, Command = null });

    public void Record(string cameraId, bool recording, DateTimeOffset changedAt) =>
        Change(cameraId, e => e.RecordingChangedAt is { } last && changedAt < last
            ? e
            : e with { Recording = recording, RecordingChangedAt = changedAt });

    public void Stream(string cameraId, bool live, int viewers) =>
        Change(cameraId, e => e with { Live = live, Viewers = viewers });

    public void Move(string cameraId, PositionFacet p) =>
        Change(cameraId, e => e.At is { } last && p.At <= last
            ? e
            : e with { Lat = p.Lat, Lon = p.Lon, At = p.At, AccuracyM = p.AccuracyM, HeadingDeg = p.HeadingDeg, SpeedMps = p.SpeedMps, BatteryPct = p.BatteryPct ?? e.BatteryPct });

    /// <summary>The cameras the map holds as assigned to an officer.</summary>
    public IReadOnlyList<(string CameraId, string OfficerId)> Assigned()
    {
        lock (_gate)
        {
            return [.. _entries.Values.Where(e => e.OfficerId is not null).Select(e => (e.CameraId, e.OfficerId!))];
        }
    }

    public IReadOnlyList<MapEntry> OnMap(Func<MapEntry, bool>? include = null)
    {
        lock (_gate)
        {
            return [.. _entries.Values.Where(e => e.OnMap && (include is null || include(e)))];
        }
    }

    public IReadOnlyList<MapEntry> InBox(double minLon, double minLat, double maxLon, double maxLat, Func<MapEntry, bool>? include = null)
    {
        lock (_gate)
        {
            return [.. _grid.InBox(minLon, minLat, maxLon, maxLat).Select(id => _entries[id]).Where(e => include is null || include(e))];
        }
    }

    public IReadOnlyList<(MapEntry Entry, double DistanceM)> Nearest(double lat, double lon, int count, Func<MapEntry, bool>? include = null)
    {
        lock (_gate)
        {
            return [.. _grid.Nearest(lat, lon, count, include is null ? null : id => include(_entries[id])).Select(n => (_entries[n.Id], n.DistanceM))];
        }
    }

    /// <summary>Each change to an officer's map entry from now on, until the caller stops reading.</summary>
    public async IAsyncEnumerable<MapChange> FollowAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        // A follower that cannot keep up loses the oldest changes; it never slows the map.
        var channel = Channel.CreateBounded<MapChange>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        _followers[id] = channel;
        try
        {
            await foreach (var change in EventFeeds.FollowAsync(
                channel.Reader, new MapChange("ready", null, null, null), () => new MapChange("heartbeat", null, null, null), time, cancellationToken))
            {
                yield return change;
            }
        }
        finally
        {
            _followers.TryRemove(id, out _);
        }
    }

    private void Change(string cameraId, Func<MapEntry, MapEntry> change)
    {
        MapEntry? updated = null;
        MapEntry? removed = null;
        lock (_gate)
        {
            var before = _entries.GetValueOrDefault(cameraId) ?? new MapEntry(cameraId);
            var after = change(before);
            if (after == before)
            {
                return;
            }

            _entries[cameraId] = after;
            if (after.OnMap)
            {
                _grid.Upsert(cameraId, after.Lat!.Value, after.Lon!.Value);
                updated = after;
            }
            else
            {
                _grid.Remove(cameraId);
                if (before.OnMap)
                {
                    removed = before;
                }
            }
        }

        if (_followers.IsEmpty)
        {
            return;
        }

        // Which operations hold the officer is worked out outside the lock, once for every follower.
        var published = updated is not null ? new MapChange("updated", cameraId, updated.OfficerId, OfficerFeature.Of(updated, areas))
            : removed is not null ? new MapChange("removed", cameraId, removed.OfficerId, null)
            : null;
        if (published is not null)
        {
            foreach (var follower in _followers.Values)
            {
                follower.Writer.TryWrite(published);
            }
        }
    }
}
