using System.Diagnostics;
using BodyCam.Streaming.Media;

namespace BodyCam.Streaming.Live;

/// <summary>
/// One camera's live stream: its init segment, a short window of fragments grouped into segments
/// that each start on a keyframe (the LL-HLS segments and parts), and its WebSocket viewers. The
/// camera's push publishes each fragment once; every viewer gets a reference to the same buffer.
/// </summary>
public sealed class LiveStream
{
    /// <summary>
    /// Segments kept: the fewest LL-HLS allows (a segment may leave the playlist only while what is
    /// left still spans three target durations, RFC 8216bis 6.2.2). Four seconds of a camera with a
    /// keyframe a second, and most of the relay's memory: 50 cameras at 2 Mbit/s hold about 50 MB.
    /// </summary>
    public const int DefaultWindowSegments = 4;

    private readonly object _gate = new();
    private readonly List<Segment> _segments = [];
    private readonly int _windowSegments;
    private readonly Queue<(long At, int Bytes)> _recent = new();
    private WebSocketViewer[] _viewers = [];
    private TaskCompletionSource _published = NewSignal();
    private bool _awaited;
    private long _nextSequence;
    private long _recentBytes;
    private TimeSpan _longestSegment;
    private TimeSpan _longestPart;

    public LiveStream(string cameraId, string liveId, InitSegment init, DateTimeOffset since, int windowSegments)
    {
        CameraId = cameraId;
        LiveId = liveId;
        Init = init;
        Since = since;
        _windowSegments = windowSegments;
    }

    public string CameraId { get; }

    /// <summary>The id of this stream's event record (one per time the camera went live).</summary>
    public string LiveId { get; }

    public InitSegment Init { get; }

    public DateTimeOffset Since { get; }

    internal Timeline Timeline { get; } = new();

    /// <summary>Whether a push is connected now; between a dropped push and its reconnection it is not.</summary>
    public bool Pushing { get; private set; } = true;

    /// <summary>When the last push dropped, while no push is connected.</summary>
    public DateTimeOffset? DroppedAt { get; private set; }

    public bool Ended { get; private set; }

    public int ViewerCount => Volatile.Read(ref _viewers).Length;

    public string Codecs => Init.Codecs;

    public TimeSpan LongestPart { get { lock (_gate) { return _longestPart; } } }

    public TimeSpan LongestSegment { get { lock (_gate) { return _longestSegment; } } }

    /// <summary>The camera's bitrate over the last five seconds.</summary>
    public int BitrateKbps
    {
        get
        {
            lock (_gate)
            {
                Trim(Stopwatch.GetTimestamp());
                return (int)(_recentBytes * 8 / 5 / 1000);
            }
        }
    }

    /// <summary>Hands out fragments: adds it to the window and queues it for every viewer.</summary>
    public void Publish(Fragment fragment)
    {
        TaskCompletionSource? published;
        WebSocketViewer[] viewers;
        lock (_gate)
        {
            if (Ended || (_segments.Count == 0 && !fragment.StartsWithKeyframe))
            {
                // Nothing can be decoded before the first keyframe.
                fragment.Release();
                return;
            }

            if (fragment.StartsWithKeyframe || _segments.Count == 0)
            {
                if (_segments.Count > 0)
                {
                    var done = _segments[^1];
                    done.Complete = true;
                    _longestSegment = TimeSpan.FromTicks(Math.Max(_longestSegment.Ticks, done.Duration.Ticks));
                }

                _segments.Add(new Segment(_nextSequence++));
                while (_segments.Count > _windowSegments)
                {
                    foreach (var old in _segments[0].Parts)
                    {
                        old.Release();
                    }

                    _segments.RemoveAt(0);
                }
            }

            var segment = _segments[^1];
            segment.Parts.Add(fragment);
            segment.Duration += fragment.Duration;
            _longestPart = TimeSpan.FromTicks(Math.Max(_longestPart.Ticks, fragment.Duration.Ticks));

            viewers = _viewers;
            foreach (var viewer in viewers)
            {
                if (fragment.TryRetain() && !viewer.Offer(fragment))
                {
                    viewer.End(EndReasons.TooSlow);
                }
            }

            _recent.Enqueue((fragment.ReceivedTimestamp, fragment.Length));
            _recentBytes += fragment.Length;
            Trim(fragment.ReceivedTimestamp);
            // A new signal only when someone waited on the last one (an LL-HLS blocking request).
            published = null;
            if (_awaited)
            {
                published = _published;
                _published = NewSignal();
                _awaited = false;
            }
        }

        // Outside the lock: each waiting viewer's sender writes this fragment to its socket now.
        foreach (var viewer in viewers)
        {
            viewer.Wake();
        }

        published?.TrySetResult();
    }

    /// <summary>
    /// Adds a WebSocket viewer and queues what it needs to start decoding: the fragments from the
    /// latest keyframe. Returns false when the stream has ended.
    /// </summary>
    public bool Join(WebSocketViewer viewer)
    {
        lock (_gate)
        {
            if (Ended)
            {
                return false;
            }

            if (_segments.Count > 0)
            {
                foreach (var part in _segments[^1].Parts)
                {
                    if (part.TryRetain() && !viewer.Offer(part))
                    {
                        viewer.End(EndReasons.TooSlow);
                        return true;
                    }
                }
            }

            _viewers = [.. _viewers, viewer];
        }

        viewer.Wake();
        return true;
    }

    public void Leave(WebSocketViewer viewer)
    {
        lock (_gate)
        {
            _viewers = [.. _viewers.Where(v => v != viewer)];
        }
    }

    public IReadOnlyList<WebSocketViewer> Viewers => Volatile.Read(ref _viewers);

    /// <summary>The push dropped: viewers wait, and the camera may reconnect and continue.</summary>
    public void Dropped(DateTimeOffset at)
    {
        lock (_gate)
        {
            Pushing = false;
            DroppedAt = at;
        }
    }

    /// <summary>The same camera pushes again with the same init segment: the stream goes on.</summary>
    public bool TryResume()
    {
        lock (_gate)
        {
            if (Ended || Pushing)
            {
                return false;
            }

            Pushing = true;
            DroppedAt = null;
            Timeline.Reconnected();
            return true;
        }
    }

    /// <summary>Ends the stream: every viewer is told, and the window goes back to the pool.</summary>
    public IReadOnlyList<WebSocketViewer> End()
    {
        WebSocketViewer[] viewers;
        TaskCompletionSource published;
        lock (_gate)
        {
            if (Ended)
            {
                return [];
            }

            Ended = true;
            Pushing = false;
            viewers = _viewers;
            _viewers = [];
            foreach (var part in _segments.SelectMany(s => s.Parts))
            {
                part.Release();
            }

            _segments.Clear();
            published = _published;
        }

        published.TrySetResult();
        foreach (var viewer in viewers)
        {
            viewer.End(EndReasons.StreamEnded);
        }

        return viewers;
    }

    /// <summary>The LL-HLS view of the window, for a playlist.</summary>
    public PlaylistWindow Window()
    {
        lock (_gate)
        {
            return new PlaylistWindow(
                [.. _segments.Select(s => new SegmentView(s.Sequence, s.Complete, s.Duration, [.. s.Parts.Select(p => p.Duration)], s.Parts[0].StartsWithKeyframe))],
                _longestPart,
                _longestSegment);
        }
    }

    /// <summary>Retains and returns the parts of segment <paramref name="sequence"/> (all, or just part <paramref name="part"/>).</summary>
    public IReadOnlyList<Fragment>? Take(long sequence, int? part, bool completeOnly)
    {
        lock (_gate)
        {
            var segment = _segments.Find(s => s.Sequence == sequence);
            if (segment is null || (completeOnly && !segment.Complete))
            {
                return null;
            }

            var parts = part is { } index
                ? index < segment.Parts.Count ? [segment.Parts[index]] : null
                : segment.Parts;
            if (parts is null)
            {
                return null;
            }

            var taken = new List<Fragment>(parts.Count);
            foreach (var fragment in parts)
            {
                if (fragment.TryRetain())
                {
                    taken.Add(fragment);
                }
            }

            return taken;
        }
    }

    /// <summary>Completes when the next fragment is published or the stream ends.</summary>
    public Task NextPublished()
    {
        lock (_gate)
        {
            _awaited = true;
            return _published.Task;
        }
    }

    private void Trim(long now)
    {
        var horizon = now - (Stopwatch.Frequency * 5);
        while (_recent.Count > 0 && _recent.Peek().At < horizon)
        {
            _recentBytes -= _recent.Dequeue().Bytes;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Segment(long sequence)
    {
        public long Sequence { get; } = sequence;

        public List<Fragment> Parts { get; } = [];

        public TimeSpan Duration { get; set; }

        public bool Complete { get; set; }
    }
}

public sealed record SegmentView(long Sequence, bool Complete, TimeSpan Duration, IReadOnlyList<TimeSpan> Parts, bool Independent);

public sealed record PlaylistWindow(IReadOnlyList<SegmentView> Segments, TimeSpan LongestPart, TimeSpan LongestSegment);
