using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace BodyCam.Streaming.Media;

/// <summary>
/// Reads a camera's push (fragmented MP4, as ffmpeg sends it with
/// <c>frag_keyframe+empty_moov+default_base_moof</c>) incrementally from the request body: first the
/// init segment (ftyp + moov), then each moof + mdat as one pooled <see cref="Fragment"/>. Box sizes
/// are checked before anything is buffered, so a hostile size is refused at once.
/// </summary>
public sealed class PushReader(PipeReader body, int maxBoxBytes)
{
    private byte[]? _ftyp;

    public long BytesRead { get; private set; }

    /// <summary>The most an init segment (ftyp + moov) may hold: a camera's is a few kilobytes.</summary>
    public const int MaxInitBytes = 1024 * 1024;

    /// <summary>How many boxes may come before the moov box (ftyp, free, a producer reference time…).</summary>
    public const int MaxBoxesBeforeMoov = 16;

    /// <summary>Reads up to and including the init segment.</summary>
    public async Task<InitSegment> ReadInitAsync(CancellationToken cancellationToken)
    {
        var boxes = 0;
        while (true)
        {
            if (++boxes > MaxBoxesBeforeMoov)
            {
                throw new MediaRejectedException(MediaProblem.BadOrder, $"More than {MaxBoxesBeforeMoov} boxes came before the moov box.");
            }

            var (type, bytes) = await ReadBoxAsync(first: _ftyp is null, MaxInitBytes, cancellationToken)
                ?? throw new MediaRejectedException(_ftyp is null ? MediaProblem.NotMp4 : MediaProblem.Truncated, "The body ended before the init segment (ftyp + moov) was complete.");
            if (_ftyp is null)
            {
                _ftyp = bytes;
                continue;
            }

            if (type == BoxType.Moov)
            {
                if ((long)_ftyp.Length + bytes.Length > MaxInitBytes)
                {
                    throw new MediaRejectedException(MediaProblem.BoxTooLarge, $"The init segment is larger than the {MaxInitBytes} bytes allowed.");
                }

                var init = new byte[_ftyp.Length + bytes.Length];
                _ftyp.CopyTo(init, 0);
                bytes.CopyTo(init, _ftyp.Length);
                return Malformed.Guard(() => InitSegment.Parse(init, _ftyp.Length));
            }

            if (type == BoxType.Moof || type == BoxType.Mdat)
            {
                throw new MediaRejectedException(MediaProblem.BadOrder, $"A '{Mp4Box.Name(type)}' box came before the moov box: the init segment must come first.");
            }
        }
    }

    /// <summary>The next fragment, or null when the body ended cleanly between boxes (its wait state pooled: one call per fragment).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Fragment?> ReadFragmentAsync(InitSegment init, Timeline timeline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryReadFragment(ref buffer, init, timeline, out var fragment, out var needed))
            {
                body.AdvanceTo(buffer.Start);
                if (fragment is not null)
                {
                    return fragment;
                }

                continue;
            }

            if (result.IsCompleted)
            {
                body.AdvanceTo(buffer.End);
                if (buffer.IsEmpty)
                {
                    return null;
                }

                throw new MediaRejectedException(MediaProblem.Truncated, $"The body ended in the middle of a box ({buffer.Length} of {needed} bytes).");
            }

            body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private bool TryReadFragment(ref ReadOnlySequence<byte> buffer, InitSegment init, Timeline timeline, out Fragment? fragment, out long needed)
    {
        fragment = null;
        needed = 16;
        if (!TryHeader(buffer, first: false, maxBoxBytes, out var type, out var size, out _))
        {
            return false;
        }

        needed = size;
        if (type == BoxType.Moof)
        {
            // The mdat must follow at once: the pair is one fragment, in one buffer. Until the whole
            // moof and the mdat's header are in, there is nothing to look at yet.
            if (buffer.Length < size + 8)
            {
                needed = size + 16;
                return false;
            }

            if (!TryHeader(buffer.Slice(size), first: false, maxBoxBytes, out var next, out var mdatSize, out _))
            {
                needed = size + 16;
                return false;
            }

            if (next != BoxType.Mdat)
            {
                throw new MediaRejectedException(MediaProblem.BadOrder, $"A moof box was followed by '{Mp4Box.Name(next)}', not by its mdat.");
            }

            needed = size + mdatSize;
            if (needed > maxBoxBytes)
            {
                throw new MediaRejectedException(MediaProblem.BoxTooLarge, $"A fragment of {needed} bytes is larger than the {maxBoxBytes} bytes allowed.");
            }

            if (buffer.Length < needed)
            {
                return false;
            }

            var length = (int)needed;
            var pooled = FragmentPool.Buffers.Rent(Fragment.HeaderRoom + length);
            try
            {
                buffer.Slice(0, length).CopyTo(pooled.AsSpan(Fragment.HeaderRoom));
                fragment = Fragment.Read(pooled, length, (int)size, init, timeline, Stopwatch.GetTimestamp());
            }
            catch (Exception e)
            {
                FragmentPool.Buffers.Return(pooled);
                if (Malformed.Explains(e))
                {
                    throw Malformed.Refusal(e);
                }

                throw;
            }

            Consume(ref buffer, length);
            return true;
        }

        if (type == BoxType.Mdat)
        {
            throw new MediaRejectedException(MediaProblem.BadOrder, "An mdat box came without the moof box that describes it.");
        }

        if (type == BoxType.Ftyp || type == BoxType.Moov)
        {
            throw new MediaRejectedException(MediaProblem.BadOrder, $"A second '{Mp4Box.Name(type)}' box came in the middle of the stream; start a new push instead.");
        }

        // Producer reference times, segment types, indexes and the like: not for viewers.
        if (buffer.Length < size)
        {
            return false;
        }

        Consume(ref buffer, size);
        return true;
    }

    private async Task<(uint Type, byte[] Bytes)?> ReadBoxAsync(bool first, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryHeader(buffer, first, limit, out var type, out var size, out _) && buffer.Length >= size)
            {
                var bytes = buffer.Slice(0, size).ToArray();
                Consume(ref buffer, size);
                body.AdvanceTo(buffer.Start);
                return (type, bytes);
            }

            if (result.IsCompleted)
            {
                body.AdvanceTo(buffer.End);
                if (buffer.IsEmpty)
                {
                    return null;
                }

                throw new MediaRejectedException(first && buffer.Length < 8 ? MediaProblem.NotMp4 : MediaProblem.Truncated,
                    $"The body ended in the middle of a box ({buffer.Length} bytes left over).");
            }

            body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads a box header at the start of <paramref name="buffer"/> and checks it is one we can take.</summary>
    private static bool TryHeader(ReadOnlySequence<byte> buffer, bool first, int limit, out uint type, out long size, out int headerLength)
    {
        type = 0;
        size = 0;
        headerLength = 8;
        Span<byte> header = stackalloc byte[16];
        if (buffer.Length < 8)
        {
            return false;
        }

        buffer.Slice(0, Math.Min(16, buffer.Length)).CopyTo(header);
        size = BinaryPrimitives.ReadUInt32BigEndian(header);
        type = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (!Mp4Box.IsPlausibleType(type) || (first && type != BoxType.Ftyp))
        {
            throw new MediaRejectedException(MediaProblem.NotMp4, first
                ? "The body is not fragmented MP4: it must start with an ftyp box."
                : $"A box of type '{Mp4Box.Name(type)}' is not an MP4 box.");
        }

        if (size == 1)
        {
            if (buffer.Length < 16)
            {
                return false;
            }

            size = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(header[8..]), long.MaxValue);
            headerLength = 16;
        }
        else if (size == 0)
        {
            throw new MediaRejectedException(MediaProblem.BadBox, $"The '{Mp4Box.Name(type)}' box has size 0 (to the end of the file), which a live stream cannot have.");
        }

        if (size < headerLength)
        {
            throw new MediaRejectedException(MediaProblem.BadBox, $"The '{Mp4Box.Name(type)}' box claims {size} bytes, less than its own header.");
        }

        if (size > limit)
        {
            throw new MediaRejectedException(MediaProblem.BoxTooLarge, $"The '{Mp4Box.Name(type)}' box claims {size} bytes, more than the {limit} allowed.");
        }

        return true;
    }

    private void Consume(ref ReadOnlySequence<byte> buffer, long bytes)
    {
        buffer = buffer.Slice(bytes);
        BytesRead += bytes;
    }
}

/// <summary>
/// The last line of defence of the box readers: whatever a hostile box makes a reader trip over (an
/// index past the end, an overflow) is a refusal of the media, never an unhandled 500.
/// </summary>
internal static class Malformed
{
    public static T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (Explains(e))
        {
            throw Refusal(e);
        }
    }

    public static bool Explains(Exception e) => e is ArgumentException or IndexOutOfRangeException or OverflowException or InvalidOperationException;

    public static MediaRejectedException Refusal(Exception e) =>
        new(MediaProblem.BadBox, $"A box could not be read ({e.GetType().Name}).");
}
