using System.Net.Http.Headers;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Live;

namespace BodyCam.Streaming.Listing;

/// <summary>
/// <c>GET /api/streaming/streams</c>: the cameras live now, for the control room, with how far back a
/// viewer can rewind each (<c>rewindSeconds</c>), what its rewind buffer holds (<c>rewindBytes</c>),
/// and the drops it spans with how much of each the camera has sent back (<c>gaps</c>).
/// </summary>
/// <remarks>
/// A stream lives on the streaming node its camera pushes to. With several nodes
/// (<c>Streaming:Peers</c>, the other nodes' addresses), the list is every node's: this node asks each
/// of the others for its own (<c>?scope=node</c>) with the caller's token, so each node checks the
/// caller itself, and merges them. A node that does not answer within 2 s is left out and named in the
/// <c>BodyCam-Unreachable-Nodes</c> header, so the control room sees a partial list as partial.
/// </remarks>
public static class ListStreams
{
    public const string UnreachableHeader = "BodyCam-Unreachable-Nodes";
    public const string PeersClient = "streaming-peers";

    public sealed record LiveStreamView(string CameraId, DateTimeOffset Since, int BitrateKbps, int Viewers, string Codecs, bool Pushing, double RewindSeconds, long RewindBytes, IReadOnlyList<GapView> Gaps);

    public static RouteHandlerBuilder MapListStreams(this RouteGroupBuilder streaming) =>
        streaming.MapGet("/streams", async (LiveStreams streams, HttpContext http, IHttpClientFactory clients, IConfiguration configuration, string? scope = null) =>
            {
                var local = Local(streams);
                var peers = configuration.GetSection("Streaming:Peers").GetChildren().Select(c => c.Value).OfType<string>().ToArray();
                if (scope == "node" || peers.Length == 0)
                {
                    return TypedResults.Ok(local);
                }

                var answers = await Task.WhenAll(peers.Select(peer => AskAsync(clients, new Uri(peer), http.Request.Headers.Authorization.ToString(), http.RequestAborted)));
                var unreachable = peers.Where((_, i) => answers[i] is null).ToArray();
                if (unreachable.Length > 0)
                {
                    http.Response.Headers[UnreachableHeader] = string.Join(", ", unreachable);
                }

                // A camera that moved node while this was asked may show on two: the one it pushes to wins.
                return TypedResults.Ok(local.Concat(answers.OfType<List<LiveStreamView>>().SelectMany(a => a))
                    .GroupBy(s => s.CameraId, StringComparer.Ordinal)
                    .Select(g => g.OrderByDescending(s => s.Pushing).ThenByDescending(s => s.Since).First())
                    .OrderBy(s => s.CameraId, StringComparer.Ordinal)
                    .ToList());
            })
            .RequireRoles(Roles.Supervisor, Roles.ControlRoom)
            .WithName("ListStreams")
            .WithSummary("The live streams on every streaming node: since when, bitrate, how many watch (scope=node: this node's only).");

    private static List<LiveStreamView> Local(LiveStreams streams) =>
        [.. streams.All
            .OrderBy(s => s.CameraId, StringComparer.Ordinal)
            .Select(s => (Stream: s, Rewind: s.Rewind))
            .Select(s => new LiveStreamView(s.Stream.CameraId, s.Stream.Since, s.Stream.BitrateKbps,
                streams.Sessions.Count(v => v.Pass.CameraId == s.Stream.CameraId && v.EndReason is null), s.Stream.Codecs, s.Stream.Pushing,
                Math.Round(s.Rewind.Span.TotalSeconds, 1), s.Rewind.Bytes, s.Stream.Gaps))];

    /// <summary>A peer's own streams, or null when it does not answer in time or refuses.</summary>
    private static async Task<List<LiveStreamView>?> AskAsync(IHttpClientFactory clients, Uri peer, string authorization, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(peer, "api/streaming/streams?scope=node"));
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
            using var response = await clients.CreateClient(PeersClient).SendAsync(request, timeout.Token);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<List<LiveStreamView>>(timeout.Token) : null;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
