using System.Diagnostics;
using System.Text.Json.Serialization;
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

    /// <summary>How far back a viewer may rewind, by default: two minutes (<c>Streaming:RewindSeconds</c>).</summary>
    public static readonly TimeSpan DefaultRewind = TimeSpan.FromMinutes(2);

    /// <summary>The most a stream's rewind buffer holds (<c>Streaming:RewindBytesPerStream</c>): two minutes at 2 Mbit/s, and a little.</summary>
    public const long DefaultRewindBytes = 32L * 1024 * 1024;

    private readonly object _gate = new();
    private readonly List<Segment> _segments = [];
    private readonly int _windowSegments;
    // Complete segments older than the window, oldest first: what a viewer can rewind into.
    private readonly List<Segment> _rewind = [];
    private readonly long _rewindTicks;
    private readonly long _rewindMaxBytes;
    private long _rewindBytes;
    private readonly Queue<(long At, int Bytes)> _recent = new();
    private WebSocketViewer[] _viewers = [];
    private TaskCompletionSource _published = NewSignal();
    private bool _awaited;
    private long _nextSequence;
    private long _recentBytes;
    private TimeSpan _longestSegment;
    private TimeSpan _longestPart;
    // Where the media of the last fragment published ended, and when it arrived: a gap starts there.
    private TimeSpan _lastEnd;
    private long _lastReceived;
    // Set while a resumed push has not yet published: its first fragment says how long the gap was.
    private (TimeSpan From, long FromTicks, DateTimeOffset DroppedAt, DateTimeOffset ResumedAt, Segment After)? _resuming;
    private readonly List<Gap> _gaps = [];
    // From a drop until the resumed push's first fragment says where the gap ends.
    private TaskCompletionSource? _gapKnown;
    private long _filledBytes;

    public LiveStream(string cameraId, string liveId, InitSegment init, DateTimeOffset since, int windowSegments, TimeSpan? rewind = null, long rewindBytes = DefaultRewindBytes)
    {
        CameraId = cameraId;
        LiveId = liveId;
        Init = init;
        Since = since;
        _windowSegments = windowSegments;
        _rewindTicks = (long)((rewind ?? DefaultRewind).TotalSeconds * Stopwatch.Frequency);
        _rewindMaxBytes = rewindBytes;
    }

    /// <summary>What the rewind buffer holds now: how far back (from its oldest keyframe) and how many bytes.</summary>
    public (TimeSpan Span, long Bytes) Rewind
    {
        get
        {
            lock (_gate)
            {
                var oldest = _rewind.Count > 0 ? _rewind[0] : _segments.Count > 0 ? _segments[0] : null;
                return (oldest is null ? TimeSpan.Zero : Stopwatch.GetElapsedTime(oldest.StartedAt), _rewindBytes + _filledBytes + _segments.Sum(x => x.Bytes));
            }
        }
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

            if (_resuming is { } resumed && fragment.CarriesVideo)
            {
                _resuming = null;
                _gaps.Add(new Gap(resumed.After, resumed.From, fragment.DecodeTime, resumed.FromTicks, resumed.DroppedAt, resumed.ResumedAt));
                _gapKnown?.TrySetResult();
                _gapKnown = null;
            }

            if (fragment.StartsWithKeyframe || _segments.Count == 0)
            {
                if (_segments.Count > 0)
                {
                    var done = _segments[^1];
                    done.Complete = true;
                    _longestSegment = TimeSpan.FromTicks(Math.Max(_longestSegment.Ticks, done.Duration.Ticks));
                }

                _segments.Add(new Segment(_nextSequence++, fragment.ReceivedTimestamp));
                while (_segments.Count > _windowSegments)
                {
                    // Out of the live window, into the rewind buffer (when there is one).
                    _rewind.Add(_segments[0]);
                    _rewindBytes += _segments[0].Bytes;
                    _segments.RemoveAt(0);
                }

                TrimRewind(fragment.ReceivedTimestamp);
            }

            var segment = _segments[^1];
            segment.Parts.Add(fragment);
            segment.Duration += fragment.Duration;
            segment.Bytes += fragment.Length;
            _longestPart = TimeSpan.FromTicks(Math.Max(_longestPart.Ticks, fragment.Duration.Ticks));
            if (fragment.CarriesVideo)
            {
                _lastEnd = fragment.DecodeTime + fragment.Duration;
                _lastReceived = fragment.ReceivedTimestamp;
            }

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
    /// latest keyframe. Returns false when the stream has ended. With <paramref name="back"/>, the
    /// viewer starts that far back instead: the fragments from the last keyframe at or before then (or
    /// the oldest kept), which the sender writes before the live ones (<see cref="WebSocketViewer.Backlog"/>).
    /// </summary>
    public bool Join(WebSocketViewer viewer, TimeSpan? back = null)
    {
        lock (_gate)
        {
            if (Ended)
            {
                return false;
            }

            if (back is { } rewind && rewind > TimeSpan.Zero && _segments.Count > 0)
            {
                var target = Stopwatch.GetTimestamp() - (long)(rewind.TotalSeconds * Stopwatch.Frequency);
                var kept = Kept();
                var start = Math.Max(0, kept.FindLastIndex(x => x.StartedAt <= target && x.Independent));
                var backlog = new List<Fragment>();
                for (var i = start; i < kept.Count; i++)
                {
                    foreach (var part in kept[i].Parts)
                    {
                        if (part.TryRetain())
                        {
                            backlog.Add(part);
                        }
                    }
                }

                viewer.Backlog = backlog;
            }
            else if (_segments.Count > 0)
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
            _gapKnown ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>
    /// Completes once the gap of the last drop is known (the resumed push's first fragment is in), at
    /// once when there is no drop pending: a back-fill sent the moment a camera reconnects waits for it.
    /// </summary>
    public Task GapKnown()
    {
        lock (_gate)
        {
            return _gapKnown?.Task ?? Task.CompletedTask;
        }
    }

    /// <summary>The same camera pushes again with the same init segment: the stream goes on.</summary>
    public bool TryResume(DateTimeOffset now, out DateTimeOffset droppedAt)
    {
        lock (_gate)
        {
            droppedAt = DroppedAt ?? now;
            if (Ended || Pushing)
            {
                return false;
            }

            if (_segments.Count > 0)
            {
                _resuming = (_lastEnd, _lastReceived, droppedAt, now, _segments[^1]);
            }
            else
            {
                _gapKnown?.TrySetResult();
                _gapKnown = null;
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
            foreach (var part in _rewind.SelectMany(s => s.Parts))
            {
                part.Release();
            }

            _rewind.Clear();
            _rewindBytes = 0;
            foreach (var gap in _gaps)
            {
                gap.Release();
            }

            _gaps.Clear();
            _filledBytes = 0;
            _gapKnown?.TrySetResult();
            _gapKnown = null;
            published = _published;
        }

        published.TrySetResult();
        foreach (var viewer in viewers)
        {
            viewer.End(EndReasons.StreamEnded);
        }

        return viewers;
    }

    /// <summary>
    /// The LL-HLS view of the stream, for a playlist: the rewind buffer's segments as the DVR window
    /// (a player may seek back into them), then the live window. What a camera back-filled after a
    /// drop is not in it: a live playlist only grows at its end, so back-fill is for the WebSocket's
    /// rewind (<see cref="Join"/>). Without <paramref name="dvr"/>, the live window alone: what a
    /// blocking request looks at on every fragment published, to see whether what it waits for is in.
    /// </summary>
    public PlaylistWindow Window(bool dvr = true)
    {
        lock (_gate)
        {
            return new PlaylistWindow(
                [.. (dvr ? _rewind.Concat(_segments) : _segments).Select(s => new SegmentView(s.Sequence, s.Complete, s.Duration, [.. s.Parts.Select(p => p.Duration)], s.Parts[0].StartsWithKeyframe))],
                _longestPart,
                _longestSegment);
        }
    }

    /// <summary>Retains and returns the parts of segment <paramref name="sequence"/> (all, or just part <paramref name="part"/>).</summary>
    public IReadOnlyList<Fragment>? Take(long sequence, int? part, bool completeOnly)
    {
        lock (_gate)
        {
            var segment = _segments.Find(s => s.Sequence == sequence) ?? _rewind.Find(s => s.Sequence == sequence);
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

    /// <summary>
    /// Files one fragment the camera buffered while its push was down into the gap it belongs to (by
    /// its decode time), for viewers who rewind; never to live viewers. False, and the fragment
    /// released, when it belongs to no gap still open (already received, or outside every drop), or
    /// could not be decoded where it would go (not a keyframe, and not continuing what is there).
    /// </summary>
    public bool Fill(Fragment fragment)
    {
        lock (_gate)
        {
            // Back-fill never holds more than the rewind buffer may: a camera cannot grow memory by it.
            var gap = Ended || _filledBytes + fragment.Length > _rewindMaxBytes ? null : _gaps.Find(g => g.TryTake(fragment));
            if (gap is null)
            {
                fragment.Release();
                return false;
            }

            _filledBytes += fragment.Length;
            TrimRewind(Stopwatch.GetTimestamp());
            return true;
        }
    }

    /// <summary>The drops this stream's rewind buffer still spans, oldest first: how long each was and how much of it the camera has filled.</summary>
    public IReadOnlyList<GapView> Gaps
    {
        get
        {
            lock (_gate)
            {
                return [.. _gaps.Select(g => g.View())];
            }
        }
    }

    /// <summary>Every kept segment in media order: the rewind buffer, the live window, and what was back-filled after each drop.</summary>
    private List<Segment> Kept()
    {
        var kept = new List<Segment>(_rewind.Count + _segments.Count);
        foreach (var segment in _rewind.Concat(_segments))
        {
            kept.Add(segment);
            foreach (var gap in _gaps)
            {
                if (gap.After == segment)
                {
                    kept.AddRange(gap.Segments);
                }
            }
        }

        return kept;
    }

    /// <summary>Rewind segments older than the rewind span, or beyond its bytes, go back to the pool, oldest first.</summary>
    private void TrimRewind(long now)
    {
        var horizon = now - _rewindTicks;
        while (_rewind.Count > 0 && (_rewindBytes + _filledBytes > _rewindMaxBytes || _rewind[0].StartedAt < horizon))
        {
            foreach (var old in _rewind[0].Parts)
            {
                old.Release();
            }

            _rewindBytes -= _rewind[0].Bytes;
            for (var i = _gaps.Count - 1; i >= 0; i--)
            {
                if (_gaps[i].After == _rewind[0])
                {
                    _filledBytes -= _gaps[i].Release();
                    _gaps.RemoveAt(i);
                }
            }

            _rewind.RemoveAt(0);
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

    private sealed class Segment(long sequence, long startedAt, bool independent = true)
    {
        public long Sequence { get; } = sequence;

        /// <summary>Whether it starts with a keyframe (a back-filled run may begin with the rest of the segment before the drop).</summary>
        public bool Independent { get; } = independent;

        /// <summary>When its first fragment (a keyframe) arrived (<see cref="Stopwatch"/> ticks).</summary>
        public long StartedAt { get; } = startedAt;

        public long Bytes { get; set; }

        public List<Fragment> Parts { get; } = [];

        public TimeSpan Duration { get; set; }

        public bool Complete { get; set; }
    }

    /// <summary>What a drop left out, between the last fragment before it and the first after it, and the back-fill filed into it.</summary>
    private sealed class Gap(Segment after, TimeSpan from, TimeSpan to, long fromTicks, DateTimeOffset droppedAt, DateTimeOffset resumedAt)
    {
        // Decode times of one fragment and the next differ by rounding to the track's timescale.
        private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(5);
        private TimeSpan _filledEnd = TimeSpan.MinValue;
        private TimeSpan _lastAudioAt = TimeSpan.MinValue;
        private TimeSpan _filled;
        private long _bytes;

        /// <summary>The segment received last before the drop: the back-fill plays after it.</summary>
        public Segment After { get; } = after;

        public List<Segment> Segments { get; } = [];

        public GapView View() => new(droppedAt, resumedAt, to > from ? to - from : TimeSpan.Zero, _filled);

        public bool TryTake(Fragment fragment)
        {
            if (_filledEnd == TimeSpan.MinValue)
            {
                _filledEnd = from;
            }

            if (!fragment.CarriesVideo)
            {
                // Audio alone, cut between two video fragments: it belongs with the run it follows,
                // and places nothing (its clock is the audio's).
                if (Segments.Count == 0 || _filledEnd <= from || fragment.DecodeTime < from - Tolerance || fragment.DecodeTime > to + Tolerance || _lastAudioAt >= fragment.DecodeTime)
                {
                    return false;
                }

                _lastAudioAt = fragment.DecodeTime;
                Segments[^1].Parts.Add(fragment);
                Segments[^1].Bytes += fragment.Length;
                _bytes += fragment.Length;
                return true;
            }

            if (to - from <= Tolerance
                || fragment.DecodeTime < _filledEnd - Tolerance
                || fragment.DecodeTime + fragment.Duration > to + Tolerance)
            {
                return false;
            }

            var continues = (fragment.DecodeTime - _filledEnd).Duration() <= Tolerance;
            if (!fragment.StartsWithKeyframe && !continues)
            {
                return false;
            }

            if (fragment.StartsWithKeyframe || Segments.Count == 0)
            {
                var offset = (long)((fragment.DecodeTime - from).TotalSeconds * Stopwatch.Frequency);
                Segments.Add(new Segment(-1, fromTicks + offset, fragment.StartsWithKeyframe));
            }

            var segment = Segments[^1];
            segment.Parts.Add(fragment);
            segment.Duration += fragment.Duration;
            segment.Bytes += fragment.Length;
            _filled += fragment.Duration;
            _filledEnd = fragment.DecodeTime + fragment.Duration;
            _bytes += fragment.Length;
            return true;
        }

        /// <summary>Returns the back-filled fragments to the pool; the bytes they held.</summary>
        public long Release()
        {
            foreach (var part in Segments.SelectMany(s => s.Parts))
            {
                part.Release();
            }

            Segments.Clear();
            return _bytes;
        }
    }
}

/// <summary>
/// A drop the rewind buffer spans: when the push dropped and resumed, how much media the camera's
/// clock says was missed (zero when the camera restarted its clock, so it cannot be placed), and how
/// much of that the camera has since sent back.
/// </summary>
public sealed record GapView(DateTimeOffset DroppedAt, DateTimeOffset ResumedAt, [property: JsonIgnore] TimeSpan Missed, [property: JsonIgnore] TimeSpan Filled)
{
    [JsonIgnore]
    public TimeSpan Left => Missed > Filled ? Missed - Filled : TimeSpan.Zero;

    public double MissedSeconds => Math.Round(Missed.TotalSeconds, 3);

    public double FilledSeconds => Math.Round(Filled.TotalSeconds, 3);

    /// <summary>The hole that stays (the camera's clock); zero once the camera has sent the whole drop back.</summary>
    public double LeftSeconds => Math.Round(Left.TotalSeconds, 3);
}

public sealed record SegmentView(long Sequence, bool Complete, TimeSpan Duration, IReadOnlyList<TimeSpan> Parts, bool Independent);

public sealed record PlaylistWindow(IReadOnlyList<SegmentView> Segments, TimeSpan LongestPart, TimeSpan LongestSegment);
