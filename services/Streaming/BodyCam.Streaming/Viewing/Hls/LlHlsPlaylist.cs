using System.Globalization;
using System.Text;
using BodyCam.Streaming.Live;

namespace BodyCam.Streaming.Viewing.Hls;

/// <summary>
/// Writes the LL-HLS media playlist of a stream's window (RFC 8216bis): each fragment is a part,
/// each run of fragments from a keyframe is a segment, and the next part is hinted so a player can
/// ask for it before it exists.
/// </summary>
public static class LlHlsPlaylist
{
    /// <summary>Parts are listed for the last few segments only, as the spec suggests.</summary>
    private const int SegmentsWithParts = 3;

    public static string Render(PlaylistWindow window, string query)
    {
        var partTarget = Math.Max(window.LongestPart.TotalSeconds, 0.1);
        var segmentTarget = Math.Max(1, (int)Math.Ceiling(Math.Max(window.LongestSegment.TotalSeconds, window.Segments.Count > 0 ? window.Segments[^1].Duration.TotalSeconds : 1)));
        var text = new StringBuilder(2048)
            .Append("#EXTM3U\n")
            .Append("#EXT-X-VERSION:9\n")
            .Append(CultureInfo.InvariantCulture, $"#EXT-X-TARGETDURATION:{segmentTarget}\n")
            .Append(CultureInfo.InvariantCulture, $"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={3 * partTarget:0.000}\n")
            .Append(CultureInfo.InvariantCulture, $"#EXT-X-PART-INF:PART-TARGET={partTarget:0.000}\n")
            .Append(CultureInfo.InvariantCulture, $"#EXT-X-MEDIA-SEQUENCE:{(window.Segments.Count > 0 ? window.Segments[0].Sequence : 0)}\n")
            .Append(CultureInfo.InvariantCulture, $"#EXT-X-MAP:URI=\"init.mp4{query}\"\n");

        for (var i = 0; i < window.Segments.Count; i++)
        {
            var segment = window.Segments[i];
            if (i >= window.Segments.Count - SegmentsWithParts)
            {
                for (var p = 0; p < segment.Parts.Count; p++)
                {
                    text.Append(CultureInfo.InvariantCulture, $"#EXT-X-PART:DURATION={segment.Parts[p].TotalSeconds:0.00000},URI=\"{PartName(segment.Sequence, p)}{query}\"");
                    text.Append(p == 0 && segment.Independent ? ",INDEPENDENT=YES\n" : "\n");
                }
            }

            if (segment.Complete)
            {
                text.Append(CultureInfo.InvariantCulture, $"#EXTINF:{segment.Duration.TotalSeconds:0.00000},\n")
                    .Append(CultureInfo.InvariantCulture, $"{SegmentName(segment.Sequence)}{query}\n");
            }
        }

        if (window.Segments.Count > 0)
        {
            var last = window.Segments[^1];
            text.Append(CultureInfo.InvariantCulture, $"#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"{PartName(last.Sequence, last.Parts.Count)}{query}\"\n");
        }

        return text.ToString();
    }

    public static string SegmentName(long sequence) => $"s{sequence}.m4s";

    public static string PartName(long sequence, int part) => $"p{sequence}.{part}.m4s";

    /// <summary>Whether the window already holds part <paramref name="part"/> of segment <paramref name="sequence"/> (or, with no part, the whole segment).</summary>
    public static bool Holds(PlaylistWindow window, long sequence, int? part)
    {
        foreach (var segment in window.Segments)
        {
            if (segment.Sequence > sequence)
            {
                return true;
            }

            if (segment.Sequence == sequence)
            {
                return part is { } p ? segment.Parts.Count > p || segment.Complete : segment.Complete;
            }
        }

        return false;
    }
}
