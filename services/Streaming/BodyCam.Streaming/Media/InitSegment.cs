using System.Buffers.Binary;

namespace BodyCam.Streaming.Media;

/// <summary>One track as the init segment describes it.</summary>
public sealed record TrackInfo(uint TrackId, bool IsVideo, uint Timescale, string Codec, uint DefaultSampleDuration, uint DefaultSampleFlags);

/// <summary>
/// The init segment (ftyp + moov) a camera sends once at the start of its push: every viewer gets it
/// first. Parsed for its tracks, their timescales and codecs, and the fragment defaults in trex.
/// </summary>
public sealed class InitSegment
{
    private InitSegment(byte[] bytes, IReadOnlyList<TrackInfo> tracks)
    {
        Bytes = bytes;
        Tracks = tracks;
    }

    public byte[] Bytes { get; }

    public IReadOnlyList<TrackInfo> Tracks { get; }

    public TrackInfo? Video => Tracks.FirstOrDefault(t => t.IsVideo);

    /// <summary>The RFC 6381 codecs string, as MSE and HLS want it (<c>avc1.64001f,mp4a.40.2</c>).</summary>
    public string Codecs => string.Join(',', Tracks.Select(t => t.Codec));

    public TrackInfo? Track(uint trackId)
    {
        foreach (var track in Tracks)
        {
            if (track.TrackId == trackId)
            {
                return track;
            }
        }

        return null;
    }

    public bool SameAs(InitSegment other) => Bytes.AsSpan().SequenceEqual(other.Bytes);

    /// <summary>Reads ftyp + moov held in <paramref name="bytes"/>; the moov box starts at <paramref name="moovStart"/>.</summary>
    public static InitSegment Parse(byte[] bytes, int moovStart)
    {
        var moov = Mp4Box.Children(bytes, moovStart, bytes.Length).First(b => b.Type == BoxType.Moov);
        var defaults = new Dictionary<uint, (uint Duration, uint Flags)>();
        if (Mp4Box.Find(bytes, moov.PayloadStart, moov.End, BoxType.Mvex) is { } mvex)
        {
            foreach (var trex in Mp4Box.Children(bytes, mvex.PayloadStart, mvex.End).Where(b => b.Type == BoxType.Trex))
            {
                Require(trex, 24, "trex");
                var p = bytes.AsSpan(trex.PayloadStart);
                defaults[BinaryPrimitives.ReadUInt32BigEndian(p[4..])] = (BinaryPrimitives.ReadUInt32BigEndian(p[12..]), BinaryPrimitives.ReadUInt32BigEndian(p[20..]));
            }
        }

        var tracks = new List<TrackInfo>();
        foreach (var trak in Mp4Box.Children(bytes, moov.PayloadStart, moov.End).Where(b => b.Type == BoxType.Trak))
        {
            var tkhd = Mp4Box.Find(bytes, trak.PayloadStart, trak.End, BoxType.Tkhd) ?? throw Missing("tkhd");
            Require(tkhd, 24, "tkhd");
            var tkhdVersion = bytes[tkhd.PayloadStart];
            var trackId = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(tkhd.PayloadStart + (tkhdVersion == 1 ? 20 : 12)));

            var mdia = Mp4Box.Find(bytes, trak.PayloadStart, trak.End, BoxType.Mdia) ?? throw Missing("mdia");
            var mdhd = Mp4Box.Find(bytes, mdia.PayloadStart, mdia.End, BoxType.Mdhd) ?? throw Missing("mdhd");
            Require(mdhd, 24, "mdhd");
            var timescale = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(mdhd.PayloadStart + (bytes[mdhd.PayloadStart] == 1 ? 20 : 12)));
            var hdlr = Mp4Box.Find(bytes, mdia.PayloadStart, mdia.End, BoxType.Hdlr) ?? throw Missing("hdlr");
            Require(hdlr, 12, "hdlr");
            var handler = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(hdlr.PayloadStart + 8));
            if (handler != BoxType.Vide && handler != BoxType.Soun)
            {
                continue;
            }

            if (timescale == 0)
            {
                throw new MediaRejectedException(MediaProblem.BadBox, $"Track {trackId} has a timescale of 0.");
            }

            var (duration, flags) = defaults.GetValueOrDefault(trackId);
            tracks.Add(new TrackInfo(trackId, handler == BoxType.Vide, timescale, CodecOf(bytes, mdia, handler == BoxType.Vide), duration, flags));
        }

        if (tracks.Count == 0)
        {
            throw new MediaRejectedException(MediaProblem.BadOrder, "The init segment has no audio or video track.");
        }

        return new InitSegment(bytes, tracks);
    }

    private static string CodecOf(byte[] bytes, Mp4Box mdia, bool video)
    {
        var stsd = Mp4Box.Find(bytes, mdia.PayloadStart, mdia.End, BoxType.Minf) is { } minf
            && Mp4Box.Find(bytes, minf.PayloadStart, minf.End, BoxType.Stbl) is { } stbl
            ? Mp4Box.Find(bytes, stbl.PayloadStart, stbl.End, BoxType.Stsd)
            : null;
        if (stsd is not { } descriptions || descriptions.End - descriptions.PayloadStart < 8)
        {
            return video ? "avc1.42E01E" : "mp4a.40.2";
        }

        // stsd: version/flags, entry count, then the sample entries.
        var entry = Mp4Box.Children(bytes, descriptions.PayloadStart + 8, descriptions.End).FirstOrDefault();
        if (entry.Type == BoxType.Avc1 || entry.Type == BoxType.Avc3)
        {
            // A visual sample entry has 78 bytes of fields before its child boxes.
            var avcC = entry.End - entry.PayloadStart > 78 ? Mp4Box.Find(bytes, entry.PayloadStart + 78, entry.End, BoxType.AvcC) : null;
            return avcC is { } c && c.End - c.PayloadStart >= 4
                ? $"{Mp4Box.Name(entry.Type)}.{bytes[c.PayloadStart + 1]:X2}{bytes[c.PayloadStart + 2]:X2}{bytes[c.PayloadStart + 3]:X2}"
                : "avc1.42E01E";
        }

        if (entry.Type == BoxType.Mp4a)
        {
            // An audio sample entry has 28 bytes of fields before its child boxes.
            var esds = entry.End - entry.PayloadStart > 28 ? Mp4Box.Find(bytes, entry.PayloadStart + 28, entry.End, BoxType.Esds) : null;
            return esds is { } e && AudioObjectType(bytes.AsSpan(e.PayloadStart + 4, e.End - e.PayloadStart - 4)) is { } aot
                ? $"mp4a.40.{aot}"
                : "mp4a.40.2";
        }

        return Mp4Box.Name(entry.Type);
    }

    /// <summary>The AAC audio object type from an esds box's decoder specific info (ISO 14496-1 descriptors).</summary>
    private static int? AudioObjectType(ReadOnlySpan<byte> descriptors)
    {
        var at = 0;
        while (at + 2 <= descriptors.Length)
        {
            var tag = descriptors[at++];
            var length = 0;
            for (var i = 0; i < 4 && at < descriptors.Length; i++)
            {
                var b = descriptors[at++];
                length = (length << 7) | (b & 0x7F);
                if ((b & 0x80) == 0)
                {
                    break;
                }
            }

            switch (tag)
            {
                case 0x03: // ES descriptor: id (2), flags (1), then nested descriptors
                    var flags = at + 2 < descriptors.Length ? descriptors[at + 2] : 0;
                    at += 3 + ((flags & 0x80) != 0 ? 2 : 0) + ((flags & 0x20) != 0 ? 1 + (at + 3 < descriptors.Length ? descriptors[at + 3] : 0) : 0) + ((flags & 0x40) != 0 ? 2 : 0);
                    continue;
                case 0x04: // decoder config: 13 bytes, then nested descriptors
                    at += 13;
                    continue;
                case 0x05: // decoder specific info: the first 5 bits are the audio object type
                    return at < descriptors.Length ? descriptors[at] >> 3 : null;
                default:
                    at += length;
                    continue;
            }
        }

        return null;
    }

    private static void Require(Mp4Box box, int payload, string name)
    {
        if (box.End - box.PayloadStart < payload)
        {
            throw new MediaRejectedException(MediaProblem.BadBox, $"The '{name}' box is too short.");
        }
    }

    private static MediaRejectedException Missing(string name) =>
        new(MediaProblem.BadBox, $"The init segment has a track without its '{name}' box.");
}
