using System.Buffers.Binary;
using System.Diagnostics;

namespace BodyCam.Simulator;

/// <summary>
/// A short clip encoded once (ffmpeg, fragmented MP4), played on a loop by any number of cameras
/// without encoding again: each pass sends the same fragments with their decode times (tfdt) moved
/// on by the clip's length and their sequence numbers (mfhd) counting on, so the stream reads as one
/// continuous recording. The loop stops short of the clip's last fragment that carries every track:
/// that fragment's decode times are where the next pass starts, so the loop's length per track is
/// exact without reading sample tables.
/// </summary>
public sealed class LoopedClip
{
    private LoopedClip(byte[] init, byte[][] fragments, Dictionary<uint, ulong> periods, TimeSpan length)
    {
        Init = init;
        Fragments = fragments;
        Keyframes = [.. fragments.Select(StartsWithKeyframe)];
        Periods = periods;
        Length = length;
    }

    /// <summary>ftyp + moov, sent once at the start of each push.</summary>
    public byte[] Init { get; }

    /// <summary>moof + mdat pairs of one pass.</summary>
    public byte[][] Fragments { get; }

    /// <summary>Per fragment: whether a decoder can start there (its video track's first sample is a sync sample).</summary>
    public bool[] Keyframes { get; }

    /// <summary>Per track id: one pass's length in that track's timescale.</summary>
    public IReadOnlyDictionary<uint, ulong> Periods { get; }

    public TimeSpan Length { get; }

    public TimeSpan FragmentInterval => Length / Fragments.Length;

    /// <summary>Encodes the clip (a test pattern with a moving clock and a tone) with ffmpeg into <paramref name="directory"/>.</summary>
    public static async Task<LoopedClip> EncodeAsync(string directory, int seconds = 12, int kbps = 500, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"clip-v2-{seconds}s-{kbps}k.mp4");
        if (!File.Exists(file))
        {
            var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[]
            {
                "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", $"testsrc2=size=640x360:rate=15:duration={seconds}",
                "-f", "lavfi", "-i", $"sine=frequency=440:sample_rate=48000:duration={seconds}",
                "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-bf", "0", "-g", "15", "-keyint_min", "15", "-sc_threshold", "0",
                "-b:v", $"{kbps}k", "-maxrate", $"{kbps}k", "-bufsize", $"{kbps}k", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "48k",
                "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "500000", file + ".part",
            })
            {
                info.ArgumentList.Add(arg);
            }

            using var ffmpeg = Process.Start(info)!;
            var errors = await ffmpeg.StandardError.ReadToEndAsync(cancellationToken);
            await ffmpeg.WaitForExitAsync(cancellationToken);
            if (ffmpeg.ExitCode != 0)
            {
                throw new InvalidOperationException($"ffmpeg could not encode the clip: {errors}");
            }

            File.Move(file + ".part", file, overwrite: true);
        }

        return Parse(await File.ReadAllBytesAsync(file, cancellationToken));
    }

    public static LoopedClip Parse(byte[] file)
    {
        var boxes = TopLevel(file);
        var moov = boxes.FindIndex(b => b.Type == "moov");
        if (moov < 0)
        {
            throw new InvalidDataException("The clip has no moov box.");
        }

        var init = file[..(boxes[moov].Offset + boxes[moov].Size)];
        var fragments = new List<byte[]>();
        for (var i = moov + 1; i + 1 < boxes.Count; i++)
        {
            if (boxes[i].Type == "moof" && boxes[i + 1].Type == "mdat")
            {
                fragments.Add(file[boxes[i].Offset..(boxes[i + 1].Offset + boxes[i + 1].Size)]);
                i++;
            }
        }

        if (fragments.Count < 3)
        {
            throw new InvalidDataException("The clip needs at least three fragments.");
        }

        // The loop ends before the last fragment that carries every track: its decode times are
        // where the next pass begins.
        var first = DecodeTimes(fragments[0]);
        var end = fragments.Count - 1;
        while (end > 1 && !first.Keys.All(DecodeTimes(fragments[end]).ContainsKey))
        {
            end--;
        }

        var last = DecodeTimes(fragments[end]);
        if (end < 2 || !first.Keys.All(last.ContainsKey))
        {
            throw new InvalidDataException("The clip has no later fragment carrying every track.");
        }

        var periods = first.ToDictionary(t => t.Key, t => last[t.Key] - t.Value);
        var timescales = Timescales(init);
        var (videoTrack, videoPeriod) = periods.First();
        var length = TimeSpan.FromSeconds(videoPeriod / (double)timescales[videoTrack]);
        return new LoopedClip(init, [.. fragments.Take(end)], periods, length);
    }

    /// <summary>Fragment <paramref name="index"/> of pass <paramref name="pass"/>, with sequence number <paramref name="sequence"/>: a new buffer.</summary>
    public byte[] Fragment(int index, long pass, uint sequence)
    {
        var fragment = (byte[])Fragments[index].Clone();
        var moof = fragment.AsSpan(0, (int)BinaryPrimitives.ReadUInt32BigEndian(fragment));
        foreach (var (type, offset, size) in Children(moof, 8))
        {
            if (type == "mfhd")
            {
                BinaryPrimitives.WriteUInt32BigEndian(moof[(offset + 12)..], sequence);
            }
            else if (type == "traf")
            {
                var traf = moof.Slice(offset, size);
                uint track = 0;
                foreach (var (childType, childOffset, _) in Children(traf, 8))
                {
                    if (childType == "tfhd")
                    {
                        track = BinaryPrimitives.ReadUInt32BigEndian(traf[(childOffset + 12)..]);
                    }
                    else if (childType == "tfdt")
                    {
                        var shift = (ulong)pass * Periods[track];
                        var at = traf[(childOffset + 12)..];
                        if (traf[childOffset + 8] == 1)
                        {
                            BinaryPrimitives.WriteUInt64BigEndian(at, BinaryPrimitives.ReadUInt64BigEndian(at) + shift);
                        }
                        else
                        {
                            BinaryPrimitives.WriteUInt32BigEndian(at, unchecked((uint)(BinaryPrimitives.ReadUInt32BigEndian(at) + shift)));
                        }
                    }
                }
            }
        }

        return fragment;
    }

    internal static Dictionary<uint, ulong> DecodeTimes(byte[] fragment)
    {
        var times = new Dictionary<uint, ulong>();
        var moof = fragment.AsSpan(0, (int)BinaryPrimitives.ReadUInt32BigEndian(fragment));
        foreach (var (type, offset, size) in Children(moof, 8))
        {
            if (type != "traf")
            {
                continue;
            }

            var traf = moof.Slice(offset, size);
            uint track = 0;
            foreach (var (childType, childOffset, _) in Children(traf, 8))
            {
                if (childType == "tfhd")
                {
                    track = BinaryPrimitives.ReadUInt32BigEndian(traf[(childOffset + 12)..]);
                }
                else if (childType == "tfdt")
                {
                    times[track] = traf[childOffset + 8] == 1
                        ? BinaryPrimitives.ReadUInt64BigEndian(traf[(childOffset + 12)..])
                        : BinaryPrimitives.ReadUInt32BigEndian(traf[(childOffset + 12)..]);
                }
            }
        }

        return times;
    }

    /// <summary>Whether the first track fragment's first sample is a sync sample (trun's first-sample flags, else tfhd's defaults).</summary>
    internal static bool StartsWithKeyframe(byte[] fragment)
    {
        var moof = fragment.AsSpan(0, (int)BinaryPrimitives.ReadUInt32BigEndian(fragment));
        foreach (var (type, offset, size) in Children(moof, 8))
        {
            if (type != "traf")
            {
                continue;
            }

            var traf = moof.Slice(offset, size);
            uint? flags = null;
            foreach (var (childType, childOffset, _) in Children(traf, 8))
            {
                var box = traf[childOffset..];
                var boxFlags = BinaryPrimitives.ReadUInt32BigEndian(box[8..]) & 0xFFFFFF;
                if (childType == "tfhd" && (boxFlags & 0x20) != 0)
                {
                    var at = 16 + ((boxFlags & 0x01) != 0 ? 8 : 0) + ((boxFlags & 0x02) != 0 ? 4 : 0) + ((boxFlags & 0x08) != 0 ? 4 : 0) + ((boxFlags & 0x10) != 0 ? 4 : 0);
                    flags ??= BinaryPrimitives.ReadUInt32BigEndian(box[at..]);
                }
                else if (childType == "trun")
                {
                    var at = 16 + ((boxFlags & 0x01) != 0 ? 4 : 0);
                    if ((boxFlags & 0x04) != 0)
                    {
                        flags = BinaryPrimitives.ReadUInt32BigEndian(box[at..]);
                    }
                    else if ((boxFlags & 0x400) != 0)
                    {
                        flags = BinaryPrimitives.ReadUInt32BigEndian(box[(at + ((boxFlags & 0x100) != 0 ? 4 : 0) + ((boxFlags & 0x200) != 0 ? 4 : 0))..]);
                    }
                }
            }

            // The first traf is the video track in the clip ffmpeg writes.
            return flags is { } f && (f & 0x00010000) == 0;
        }

        return false;
    }

    /// <summary>Per track id, its timescale (moov/trak/tkhd for the id, mdia/mdhd for the scale).</summary>
    private static Dictionary<uint, uint> Timescales(byte[] init)
    {
        var scales = new Dictionary<uint, uint>();
        var moov = TopLevel(init).First(b => b.Type == "moov");
        var span = init.AsSpan(moov.Offset, moov.Size);
        foreach (var (type, offset, size) in Children(span, 8))
        {
            if (type != "trak")
            {
                continue;
            }

            var trak = span.Slice(offset, size);
            uint track = 0, scale = 0;
            foreach (var (childType, childOffset, childSize) in Children(trak, 8))
            {
                if (childType == "tkhd")
                {
                    track = BinaryPrimitives.ReadUInt32BigEndian(trak[(childOffset + (trak[childOffset + 8] == 1 ? 28 : 20))..]);
                }
                else if (childType == "mdia")
                {
                    var mdia = trak.Slice(childOffset, childSize);
                    foreach (var (grandType, grandOffset, _) in Children(mdia, 8))
                    {
                        if (grandType == "mdhd")
                        {
                            scale = BinaryPrimitives.ReadUInt32BigEndian(mdia[(grandOffset + (mdia[grandOffset + 8] == 1 ? 28 : 20))..]);
                        }
                    }
                }
            }

            scales[track] = scale;
        }

        return scales;
    }

    private static List<(string Type, int Offset, int Size)> TopLevel(byte[] file) => Children(file, 0);

    private static List<(string Type, int Offset, int Size)> Children(ReadOnlySpan<byte> box, int start)
    {
        var children = new List<(string, int, int)>();
        for (var at = start; at + 8 <= box.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(box[at..]);
            if (size < 8 || at + size > box.Length)
            {
                throw new InvalidDataException($"A box at {at} has an impossible size {size}.");
            }

            children.Add((System.Text.Encoding.ASCII.GetString(box.Slice(at + 4, 4)), at, size));
            at += size;
        }

        return children;
    }
}
