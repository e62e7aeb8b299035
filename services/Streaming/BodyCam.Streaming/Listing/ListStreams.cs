using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Live;

namespace BodyCam.Streaming.Listing;

/// <summary>
/// <c>GET /api/streaming/streams</c>: the cameras live now, for the control room, with how far back a
/// viewer can rewind each (<c>rewindSeconds</c>), what its rewind buffer holds (<c>rewindBytes</c>),
/// and the drops it spans with how much of each the camera has sent back (<c>gaps</c>).
/// </summary>
public static class ListStreams
{
    public sealed record LiveStreamView(string CameraId, DateTimeOffset Since, int BitrateKbps, int Viewers, string Codecs, bool Pushing, double RewindSeconds, long RewindBytes, IReadOnlyList<GapView> Gaps);

    public static RouteHandlerBuilder MapListStreams(this RouteGroupBuilder streaming) =>
        streaming.MapGet("/streams", (LiveStreams streams) =>
                TypedResults.Ok(streams.All
                    .OrderBy(s => s.CameraId, StringComparer.Ordinal)
                    .Select(s => (Stream: s, Rewind: s.Rewind))
                    .Select(s => new LiveStreamView(s.Stream.CameraId, s.Stream.Since, s.Stream.BitrateKbps,
                        streams.Sessions.Count(v => v.Pass.CameraId == s.Stream.CameraId && v.EndReason is null), s.Stream.Codecs, s.Stream.Pushing,
                        Math.Round(s.Rewind.Span.TotalSeconds, 1), s.Rewind.Bytes, s.Stream.Gaps))
                    .ToList()))
            .RequireRoles(Roles.Supervisor, Roles.ControlRoom)
            .WithName("ListStreams")
            .WithSummary("The live streams: since when, bitrate, how many watch.");
}
