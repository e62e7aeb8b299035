using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Live;

namespace BodyCam.Streaming.Listing;

/// <summary><c>GET /api/streaming/streams</c>: the cameras live now, for the control room.</summary>
public static class ListStreams
{
    public sealed record LiveStreamView(string CameraId, DateTimeOffset Since, int BitrateKbps, int Viewers, string Codecs, bool Pushing);

    public static RouteHandlerBuilder MapListStreams(this RouteGroupBuilder streaming) =>
        streaming.MapGet("/streams", (LiveStreams streams) =>
                TypedResults.Ok(streams.All
                    .OrderBy(s => s.CameraId, StringComparer.Ordinal)
                    .Select(s => new LiveStreamView(s.CameraId, s.Since, s.BitrateKbps,
                        streams.Sessions.Count(v => v.Pass.CameraId == s.CameraId && v.EndReason is null), s.Codecs, s.Pushing))
                    .ToList()))
            .RequireRoles(Roles.Supervisor, Roles.ControlRoom)
            .WithName("ListStreams")
            .WithSummary("The live streams: since when, bitrate, how many watch.");
}
