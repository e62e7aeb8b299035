using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Numerics;
using BodyCam.Streaming.Viewing;

namespace BodyCam.Streaming.Media;

/// <summary>
/// One moof + mdat as the camera sent it, held in one buffer rented from the pool and shared by
/// every viewer: nothing is copied per viewer. The bytes sit <see cref="HeaderRoom"/> bytes into the
/// buffer, and the WebSocket frame header that carries them is written once, just before them, so
/// a viewer's whole message is one contiguous slice sent with one write. The stream holds one
/// reference while the fragment is in its window and each viewer's queue holds one until it is
/// sent; the last release returns the buffer to the pool.
/// </summary>
public sealed class Fragment
{
    /// <summary>Room before the bytes for the longest WebSocket frame header (RFC 6455: 2 + 8 bytes, unmasked).</summary>
    public const int HeaderRoom = WebSocketFrame.MaxHeaderLength;

    private byte[]? _buffer;
    private int _references = 1;
    private readonly int _messageStart;

    internal Fragment(byte[] buffer, int length, uint sequenceNumber, bool startsWithKeyframe, TimeSpan duration, long receivedTimestamp, TimeSpan decodeTime = default, bool carriesVideo = true)
    {
        DecodeTime = decodeTime;
        CarriesVideo = carriesVideo;
        _buffer = buffer;
        _messageStart = HeaderRoom - WebSocketFrame.WriteHeaderBefore(buffer, HeaderRoom, WebSocketFrame.Binary, length);
        Length = length;
        SequenceNumber = sequenceNumber;
        StartsWithKeyframe = startsWithKeyframe;
        Duration = duration;
        ReceivedTimestamp = receivedTimestamp;
    }

    public int Length { get; }

    /// <summary>The camera's <c>mfhd</c> sequence number.</summary>
    public uint SequenceNumber { get; }

    /// <summary>Whether a decoder can start here: the video track's first sample is a sync sample.</summary>
    public bool StartsWithKeyframe { get; }

    /// <summary>How much media it holds (of its video track, else its first track).</summary>
    public TimeSpan Duration { get; }

    /// <summary>
    /// Whether it holds video (always, for a stream without video). A muxer may cut a fragment of
    /// audio alone; its <see cref="DecodeTime"/> and <see cref="Duration"/> are then the audio's, which
    /// do not line up with the video's, so placing media by time goes by fragments that carry video.
    /// </summary>
    public bool CarriesVideo { get; }

    /// <summary>Where it starts on the camera's media clock (its video track's <c>tfdt</c>, after any shift of a resumed push).</summary>
    public TimeSpan DecodeTime { get; }

    /// <summary>When its last byte arrived (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public long ReceivedTimestamp { get; }

    /// <summary>The bytes; valid only while the caller holds a reference.</summary>
    public ReadOnlyMemory<byte> Bytes => (_buffer ?? throw new ObjectDisposedException(nameof(Fragment))).AsMemory(HeaderRoom, Length);

    /// <summary>The bytes as one binary WebSocket message (frame header and bytes); valid only while the caller holds a reference.</summary>
    public ReadOnlyMemory<byte> Message => (_buffer ?? throw new ObjectDisposedException(nameof(Fragment))).AsMemory(_messageStart, HeaderRoom - _messageStart + Length);

    /// <summary>Takes one more reference, unless the fragment has already gone back to the pool.</summary>
    public bool TryRetain()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            var buffer = Interlocked.Exchange(ref _buffer, null);
            if (buffer is not null)
            {
                FragmentPool.Buffers.Return(buffer);
            }
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("A fragment was released more often than it was retained.");
        }
    }

    /// <summary>
    /// Reads the moof at <see cref="HeaderRoom"/> in <paramref name="buffer"/> (moof + mdat,
    /// <paramref name="length"/> bytes, the moof <paramref name="moofLength"/> of them) and, when
    /// <paramref name="timeline"/> carries an offset from an earlier push, shifts its decode times so a
    /// reconnecting camera continues the stream it had.
    /// </summary>
    internal static Fragment Read(byte[] buffer, int length, int moofLength, InitSegment init, Timeline timeline, long receivedTimestamp)
    {
        uint sequence = 0;
        bool? keyframe = null;
        var duration = TimeSpan.Zero;
        var decodeTime = TimeSpan.Zero;
        var video = init.Video is null;
        var trafs = 0;
        foreach (var box in Mp4Box.Children(buffer, HeaderRoom + 8, HeaderRoom + moofLength))
        {
            if (box.Type == BoxType.Traf && ++trafs > init.Tracks.Count)
            {
                throw new MediaRejectedException(MediaProblem.BadBox, $"A moof box has more track fragments than the {init.Tracks.Count} tracks of the init segment.");
            }

            if (box.Type == BoxType.Mfhd && box.End - box.PayloadStart >= 8)
            {
                sequence = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(box.PayloadStart + 4));
            }
            else if (box.Type == BoxType.Traf)
            {
                var run = ReadTrackRun(buffer, box, init, timeline);
                video |= run.Track.IsVideo;
                if (run.Track.IsVideo || keyframe is null)
                {
                    keyframe = run.Track.IsVideo ? run.StartsWithSync : keyframe ?? (init.Video is null && run.StartsWithSync);
                    var seconds = (double)run.Duration / run.Track.Timescale;
                    if (seconds > MaxFragmentSeconds)
                    {
                        throw new MediaRejectedException(MediaProblem.BadBox, $"A fragment claims {seconds:0} seconds of media; a live fragment holds at most {MaxFragmentSeconds}.");
                    }

                    duration = TimeSpan.FromSeconds(seconds);
                    decodeTime = TimeSpan.FromSeconds((double)run.DecodeTime / run.Track.Timescale);
                }
            }
        }

        if (keyframe is null)
        {
            throw new MediaRejectedException(MediaProblem.BadBox, "A moof box has no track fragment (traf).");
        }

        return new Fragment(buffer, length, sequence, keyframe.Value, duration, receivedTimestamp, decodeTime, video);
    }

    /// <summary>The most samples one track run may claim: a 200 ms fragment holds tens; a two-second one at 60 fps, 120.</summary>
    public const uint MaxSamplesPerRun = 10_000;

    /// <summary>The most media one fragment may claim to hold, in seconds.</summary>
    public const int MaxFragmentSeconds = 60;

    private static (TrackInfo Track, bool StartsWithSync, ulong Duration, ulong DecodeTime) ReadTrackRun(byte[] buffer, Mp4Box traf, InitSegment init, Timeline timeline)
    {
        TrackInfo? track = null;
        uint defaultDuration = 0, defaultFlags = 0;
        var tfdtAt = -1;
        var tfdtVersion = 0;
        ulong duration = 0;
        uint? firstFlags = null;
        foreach (var box in Mp4Box.Children(buffer, traf.PayloadStart, traf.End))
        {
            var p = buffer.AsSpan(box.PayloadStart, box.End - box.PayloadStart);
            if (box.Type == BoxType.Tfhd)
            {
                Need(p, 8, "tfhd");
                var flags = BinaryPrimitives.ReadUInt32BigEndian(p) & 0xFFFFFF;
                var trackId = BinaryPrimitives.ReadUInt32BigEndian(p[4..]);
                track = init.Track(trackId) ?? throw new MediaRejectedException(MediaProblem.BadBox, $"A fragment names track {trackId}, which the init segment does not have.");
                defaultDuration = track.DefaultSampleDuration;
                defaultFlags = track.DefaultSampleFlags;
                var at = 8 + ((flags & 0x01) != 0 ? 8 : 0) + ((flags & 0x02) != 0 ? 4 : 0);
                if ((flags & 0x08) != 0)
                {
                    Need(p, at + 4, "tfhd");
                    defaultDuration = BinaryPrimitives.ReadUInt32BigEndian(p[at..]);
                    at += 4;
                }

                at += (flags & 0x10) != 0 ? 4 : 0;
                if ((flags & 0x20) != 0)
                {
                    Need(p, at + 4, "tfhd");
                    defaultFlags = BinaryPrimitives.ReadUInt32BigEndian(p[at..]);
                }
            }
            else if (box.Type == BoxType.Tfdt)
            {
                tfdtVersion = p.Length > 0 ? p[0] : 0;
                Need(p, tfdtVersion == 1 ? 12 : 8, "tfdt");
                tfdtAt = box.PayloadStart + 4;
            }
            else if (box.Type == BoxType.Trun)
            {
                Need(p, 8, "trun");
                var flags = BinaryPrimitives.ReadUInt32BigEndian(p) & 0xFFFFFF;
                var count = BinaryPrimitives.ReadUInt32BigEndian(p[4..]);
                var at = 8 + ((flags & 0x01) != 0 ? 4 : 0);
                if ((flags & 0x04) != 0)
                {
                    Need(p, at + 4, "trun");
                    firstFlags ??= BinaryPrimitives.ReadUInt32BigEndian(p[at..]);
                    at += 4;
                }

                var perSample = ((flags & 0x100) != 0 ? 4 : 0) + ((flags & 0x200) != 0 ? 4 : 0) + ((flags & 0x400) != 0 ? 4 : 0) + ((flags & 0x800) != 0 ? 4 : 0);
                // Counts are checked against the bytes that hold them and against a cap, before any
                // loop: a trun claiming four billion samples of no size must cost nothing.
                if (count > MaxSamplesPerRun)
                {
                    throw new MediaRejectedException(MediaProblem.BadBox, $"A trun box claims {count} samples, more than the {MaxSamplesPerRun} a live fragment may hold.");
                }

                if ((long)count * perSample > p.Length - at)
                {
                    throw new MediaRejectedException(MediaProblem.BadBox, $"A trun box claims {count} samples, more than it holds.");
                }

                if ((flags & 0x100) == 0)
                {
                    duration += (ulong)count * defaultDuration;
                }

                for (var i = 0; perSample > 0 && i < (int)count; i++)
                {
                    var sample = p.Slice(at + (i * perSample), perSample);
                    var field = 0;
                    if ((flags & 0x100) != 0)
                    {
                        duration += BinaryPrimitives.ReadUInt32BigEndian(sample);
                        field += 4;
                    }

                    field += (flags & 0x200) != 0 ? 4 : 0;
                    if (i == 0 && (flags & 0x400) != 0)
                    {
                        firstFlags ??= BinaryPrimitives.ReadUInt32BigEndian(sample[field..]);
                    }
                }
            }
        }

        if (track is null)
        {
            throw new MediaRejectedException(MediaProblem.BadBox, "A traf box has no tfhd.");
        }

        ulong decodeTime = 0;
        if (tfdtAt >= 0)
        {
            decodeTime = timeline.Continue(buffer, tfdtAt, tfdtVersion, track.TrackId, duration);
        }

        // sample_is_non_sync_sample is bit 16 of the sample flags.
        var sync = ((firstFlags ?? defaultFlags) & 0x00010000) == 0;
        return (track, sync, duration, decodeTime);
    }

    private static void Need(ReadOnlySpan<byte> payload, int bytes, string name)
    {
        if (payload.Length < bytes)
        {
            throw new MediaRejectedException(MediaProblem.BadBox, $"The '{name}' box is too short.");
        }
    }
}

/// <summary>
/// Where fragment buffers come from and go back to. A stream window holds hundreds of fragments at
/// once, and the shared pool keeps only a few arrays of each size per core, so fragments have a pool
/// of their own. It keeps at most <see cref="BoundedBufferPool.RetainBytes"/> of returned buffers
/// (what a steady load turns over), lets the rest go to the collector, and gives everything back when
/// no camera is live: a burst of big fragments is not hoarded for ever. In a steady load the
/// buffers of a segment leaving the window are taken by the next fragments, so little is kept.
/// </summary>
internal static class FragmentPool
{
    public const int MaxFragmentBytes = 16 * 1024 * 1024;

    public static readonly BoundedBufferPool Buffers = new(Fragment.HeaderRoom + MaxFragmentBytes, retainBytes: 32 * 1024 * 1024);
}

/// <summary>
/// Buffers in size classes four to each power of two (5, 6, 7 and 8 KiB, then 10, 12, 14 and 16 KiB…),
/// so a new buffer is at most a quarter larger than asked for (a 50 KB fragment takes 56 KiB, not 64);
/// a kept one up to twice the size is reused before a new one is made. Keeps no more than a set
/// number of bytes of them.
/// </summary>
internal sealed class BoundedBufferPool : ArrayPool<byte>
{
    private const int SmallestShift = 12;
    private const int ClassesPerDoubling = 4;
    private readonly ConcurrentQueue<byte[]>[] _buckets;
    private readonly int _largest;
    private long _retained;

    public BoundedBufferPool(int largest, long retainBytes)
    {
        _largest = largest;
        RetainBytes = retainBytes;
        _buckets = new ConcurrentQueue<byte[]>[BucketOf(largest) + 1];
        for (var i = 0; i < _buckets.Length; i++)
        {
            _buckets[i] = new ConcurrentQueue<byte[]>();
        }
    }

    /// <summary>How many bytes of returned buffers the pool may keep.</summary>
    public long RetainBytes { get; set; }

    /// <summary>Bytes held now for reuse (not those rented out).</summary>
    public long Retained => Interlocked.Read(ref _retained);

    public override byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumLength, _largest);
        var bucket = BucketOf(minimumLength);
        // A camera's fragments vary in size from one to the next (a keyframe's is larger): a kept
        // buffer up to a doubling larger is taken before a new one is made.
        for (var fit = bucket; fit < Math.Min(_buckets.Length, bucket + ClassesPerDoubling + 1); fit++)
        {
            if (_buckets[fit].TryDequeue(out var array))
            {
                Interlocked.Add(ref _retained, -array.Length);
                return array;
            }
        }

        return GC.AllocateUninitializedArray<byte>(SizeOf(bucket));
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        if (array.Length == 0 || array.Length > SizeOf(_buckets.Length - 1))
        {
            return;
        }

        var bucket = BucketOf(array.Length);
        if (array.Length != SizeOf(bucket))
        {
            return;
        }

        if (Interlocked.Add(ref _retained, array.Length) > RetainBytes)
        {
            Interlocked.Add(ref _retained, -array.Length);
            return;
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        _buckets[bucket].Enqueue(array);
    }

    /// <summary>Lets every kept buffer go (when nothing is live).</summary>
    public void Trim()
    {
        foreach (var bucket in _buckets)
        {
            while (bucket.TryDequeue(out var array))
            {
                Interlocked.Add(ref _retained, -array.Length);
            }
        }
    }

    /// <summary>The smallest class that holds <paramref name="length"/> bytes: 0 for up to 4 KiB, then four per doubling.</summary>
    internal static int BucketOf(int length)
    {
        if (length <= 1 << SmallestShift)
        {
            return 0;
        }

        // 2^power < length <= 2^(power + 1), split into four steps of a quarter of 2^power.
        var power = BitOperations.Log2((uint)(length - 1));
        var quarter = 1 << (power - 2);
        var step = (length - (1 << power) + quarter - 1) / quarter;
        return ((power - SmallestShift) * ClassesPerDoubling) + step;
    }

    internal static int SizeOf(int bucket)
    {
        if (bucket == 0)
        {
            return 1 << SmallestShift;
        }

        var power = ((bucket - 1) / ClassesPerDoubling) + SmallestShift;
        var step = ((bucket - 1) % ClassesPerDoubling) + 1;
        return (1 << power) + (step << (power - 2));
    }
}

/// <summary>
/// Decode times across pushes. A camera that reconnects starts its timestamps again from zero; the
/// stream its viewers are playing must not jump back, so each track's decode times are shifted to
/// continue where the last push ended.
/// </summary>
public sealed class Timeline
{
    private readonly Dictionary<uint, (ulong End, ulong? Offset)> _tracks = [];

    /// <summary>A new push begins: its first fragment of each track sets that track's offset.</summary>
    internal void Reconnected()
    {
        lock (_tracks)
        {
            foreach (var (track, state) in _tracks.ToList())
            {
                _tracks[track] = (state.End, null);
            }
        }
    }

    /// <summary>
    /// A copy that shifts decode times as the current push does, without moving this timeline on: a
    /// camera's back-fill is read with it, so its fragments land on the stream's clock.
    /// </summary>
    internal Timeline AsTheCurrentPush()
    {
        var copy = new Timeline();
        lock (_tracks)
        {
            foreach (var (track, state) in _tracks)
            {
                copy._tracks[track] = (state.End, state.Offset ?? 0);
            }
        }

        return copy;
    }

    /// <summary>Shifts the fragment's decode time (in place) and returns it as shifted.</summary>
    internal ulong Continue(byte[] buffer, int tfdtAt, int version, uint trackId, ulong duration)
    {
        var span = buffer.AsSpan(tfdtAt);
        var original = version == 1 ? BinaryPrimitives.ReadUInt64BigEndian(span) : BinaryPrimitives.ReadUInt32BigEndian(span);
        ulong offset = 0;
        // Taken by one push at a time; the lock only keeps a back-fill's copy (AsTheCurrentPush) whole.
        lock (_tracks)
        {
            if (_tracks.TryGetValue(trackId, out var state))
            {
                offset = state.Offset ?? (state.End > original ? state.End - original : 0);
            }
        }

        var shifted = original + offset;
        if (offset != 0)
        {
            if (version == 1)
            {
                BinaryPrimitives.WriteUInt64BigEndian(span, shifted);
            }
            else if (shifted <= uint.MaxValue)
            {
                BinaryPrimitives.WriteUInt32BigEndian(span, (uint)shifted);
            }
        }

        lock (_tracks)
        {
            _tracks[trackId] = (shifted + duration, offset);
        }

        return shifted;
    }
}
