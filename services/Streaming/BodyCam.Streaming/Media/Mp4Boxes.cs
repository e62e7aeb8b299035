using System.Buffers.Binary;

namespace BodyCam.Streaming.Media;

/// <summary>
/// A box inside a buffer we hold whole: where its payload starts and ends. Reading stops at the
/// first box that does not fit its parent, so a hostile size can never read past the buffer.
/// </summary>
internal readonly record struct Mp4Box(uint Type, int Start, int PayloadStart, int End)
{
    public static uint FourCc(string code) => BinaryPrimitives.ReadUInt32BigEndian(System.Text.Encoding.ASCII.GetBytes(code));

    public static string Name(uint type) => string.Create(4, type, static (span, t) =>
    {
        for (var i = 0; i < 4; i++)
        {
            var c = (char)((t >> (24 - (8 * i))) & 0xFF);
            span[i] = c is >= ' ' and <= '~' ? c : '?';
        }
    });

    /// <summary>Four printable ASCII characters, as every real box type is.</summary>
    public static bool IsPlausibleType(uint type)
    {
        for (var i = 0; i < 4; i++)
        {
            var c = (type >> (24 - (8 * i))) & 0xFF;
            if (c is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The boxes directly inside <c>[start, end)</c> of <paramref name="data"/>. A <c>foreach</c> over
    /// them allocates nothing (a fragment is walked this way for every fragment a camera sends).
    /// </summary>
    public static BoxWalk Children(byte[] data, int start, int end) => new(data, start, end);

    public static Mp4Box? Find(byte[] data, int start, int end, uint type)
    {
        foreach (var box in Children(data, start, end))
        {
            if (box.Type == type)
            {
                return box;
            }
        }

        return null;
    }
}

/// <summary>The boxes inside a range, one after another; a box that does not fit stops the walk with a refusal.</summary>
internal readonly struct BoxWalk(byte[] data, int start, int end) : IEnumerable<Mp4Box>
{
    public Enumerator GetEnumerator() => new(data, start, end);

    IEnumerator<Mp4Box> IEnumerable<Mp4Box>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator(byte[] data, int first, int end) : IEnumerator<Mp4Box>
    {
        private readonly int _first = first;
        private int _at = first;

        public Mp4Box Current { get; private set; }

        readonly object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (end - _at < 8)
            {
                return false;
            }

            var size = (long)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(_at));
            var type = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(_at + 4));
            var header = 8;
            if (size == 1)
            {
                if (end - _at < 16)
                {
                    throw new MediaRejectedException(MediaProblem.BadBox, $"The '{Mp4Box.Name(type)}' box is cut short.");
                }

                size = (long)BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(_at + 8));
                header = 16;
            }
            else if (size == 0)
            {
                size = end - _at;
            }

            if (size < header || size > end - _at)
            {
                throw new MediaRejectedException(MediaProblem.BadBox, $"The '{Mp4Box.Name(type)}' box claims {size} bytes, more than its parent holds.");
            }

            Current = new Mp4Box(type, _at, _at + header, _at + (int)size);
            _at += (int)size;
            return true;
        }

        public void Reset() => _at = _first;

        public readonly void Dispose()
        {
        }
    }
}

/// <summary>Box types BodyCam reads.</summary>
internal static class BoxType
{
    public static readonly uint Ftyp = Mp4Box.FourCc("ftyp");
    public static readonly uint Moov = Mp4Box.FourCc("moov");
    public static readonly uint Moof = Mp4Box.FourCc("moof");
    public static readonly uint Mdat = Mp4Box.FourCc("mdat");
    public static readonly uint Mfhd = Mp4Box.FourCc("mfhd");
    public static readonly uint Traf = Mp4Box.FourCc("traf");
    public static readonly uint Tfhd = Mp4Box.FourCc("tfhd");
    public static readonly uint Tfdt = Mp4Box.FourCc("tfdt");
    public static readonly uint Trun = Mp4Box.FourCc("trun");
    public static readonly uint Trak = Mp4Box.FourCc("trak");
    public static readonly uint Tkhd = Mp4Box.FourCc("tkhd");
    public static readonly uint Mdia = Mp4Box.FourCc("mdia");
    public static readonly uint Mdhd = Mp4Box.FourCc("mdhd");
    public static readonly uint Hdlr = Mp4Box.FourCc("hdlr");
    public static readonly uint Minf = Mp4Box.FourCc("minf");
    public static readonly uint Stbl = Mp4Box.FourCc("stbl");
    public static readonly uint Stsd = Mp4Box.FourCc("stsd");
    public static readonly uint Mvex = Mp4Box.FourCc("mvex");
    public static readonly uint Trex = Mp4Box.FourCc("trex");
    public static readonly uint Avc1 = Mp4Box.FourCc("avc1");
    public static readonly uint Avc3 = Mp4Box.FourCc("avc3");
    public static readonly uint AvcC = Mp4Box.FourCc("avcC");
    public static readonly uint Mp4a = Mp4Box.FourCc("mp4a");
    public static readonly uint Esds = Mp4Box.FourCc("esds");
    public static readonly uint Vide = Mp4Box.FourCc("vide");
    public static readonly uint Soun = Mp4Box.FourCc("soun");
}

/// <summary>Why a push's media was refused; each is a stable problem type.</summary>
public enum MediaProblem
{
    /// <summary>The body does not start like an MP4 file (no ftyp box first).</summary>
    NotMp4,

    /// <summary>A box claims a size beyond what a live fragment can be.</summary>
    BoxTooLarge,

    /// <summary>A box's structure is inconsistent (a child larger than its parent, a missing part).</summary>
    BadBox,

    /// <summary>Fragments came before the init segment, or the init segment lacks a track.</summary>
    BadOrder,

    /// <summary>The body ended in the middle of a box.</summary>
    Truncated,

    /// <summary>No keyframe came for longer than a live stream may go without one.</summary>
    NoKeyframe,
}

public sealed class MediaRejectedException(MediaProblem problem, string message) : Exception(message)
{
    public MediaProblem Problem { get; } = problem;

    /// <summary>The stable part of the problem type, for example <c>media-not-mp4</c>.</summary>
    public string Code => Problem switch
    {
        MediaProblem.NotMp4 => "media-not-mp4",
        MediaProblem.BoxTooLarge => "media-box-too-large",
        MediaProblem.BadBox => "media-bad-box",
        MediaProblem.BadOrder => "media-bad-order",
        MediaProblem.NoKeyframe => "media-no-keyframe",
        _ => "media-truncated",
    };
}
