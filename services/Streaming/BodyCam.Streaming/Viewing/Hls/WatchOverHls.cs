using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Live;
using BodyCam.Streaming.Media;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Viewing.Hls;

/// <summary>
/// LL-HLS for standard players: <c>index.m3u8</c> (with blocking reload, <c>_HLS_msn</c> and
/// <c>_HLS_part</c>), <c>init.mp4</c>, segments <c>s{n}.m4s</c> and parts <c>p{n}.{i}.m4s</c>. The
/// parts are the very fragments the WebSocket viewers get; a segment is its parts written one after
/// another. Every request presents the stream token and passes the same door as a WebSocket.
/// </summary>
public static class WatchOverHls
{
    private static readonly TimeSpan BlockAtMost = TimeSpan.FromSeconds(6);

    public static void MapWatchOverHls(this IEndpointRouteBuilder live)
    {
        live.MapGet("/{cameraId}/index.m3u8", PlaylistAsync).AllowAnonymous().WithName("LlHlsPlaylist")
            .WithSummary("The LL-HLS playlist of a live camera (stream token as access_token or bearer; _HLS_msn and _HLS_part block).");
        live.MapGet("/{cameraId}/init.mp4", InitAsync).AllowAnonymous().WithName("LlHlsInit").WithSummary("The init segment.");
        live.MapGet("/{cameraId}/s{sequence:long}.m4s", SegmentAsync).AllowAnonymous().WithName("LlHlsSegment").WithSummary("A whole segment.");
        live.MapGet("/{cameraId}/p{sequence:long}.{part:int}.m4s", PartAsync).AllowAnonymous().WithName("LlHlsPart").WithSummary("One part (blocks briefly for the hinted next part).");
    }

    private static async Task<IResult> PlaylistAsync(HttpContext http, string cameraId, ViewerAdmission admission, LiveStreams streams,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "_HLS_msn")] long? blockUntilSegment = null,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "_HLS_part")] int? blockUntilPart = null)
    {
        var (stream, viewer, refusal) = await AdmitAsync(http, cameraId, admission, streams);
        if (refusal is not null)
        {
            return refusal;
        }

        if (blockUntilSegment is { } msn)
        {
            var live = stream!.Window(dvr: false);
            var newest = live.Segments.Count > 0 ? live.Segments[^1].Sequence : 0;
            if (msn < 0 || msn > newest + 2 || blockUntilPart < 0)
            {
                return StreamingProblems.Of(StatusCodes.Status400BadRequest, ServiceDefaults.Problems.ProblemTypes.InvalidRequest, "Too far ahead",
                    $"_HLS_msn={msn} is beyond the next two segments (the newest is {newest}).");
            }

            if (!await WaitForAsync(stream, viewer!, http, w => LlHlsPlaylist.Holds(w, msn, blockUntilPart)))
            {
                return Ended(viewer!, cameraId);
            }
        }

        http.Response.Headers.CacheControl = "no-cache";
        // Parts and segments are fetched with this session's short-lived key, never the stream token.
        return TypedResults.Text(LlHlsPlaylist.Render(stream!.Window(), $"?session={Uri.EscapeDataString(viewer!.Key)}"), "application/vnd.apple.mpegurl");
    }

    private static async Task<IResult> InitAsync(HttpContext http, string cameraId, ViewerAdmission admission, LiveStreams streams)
    {
        var (stream, viewer, refusal) = await AdmitAsync(http, cameraId, admission, streams);
        if (refusal is not null)
        {
            return refusal;
        }

        viewer!.Count(stream!.Init.Bytes.Length);
        return TypedResults.Bytes(stream.Init.Bytes, "video/mp4");
    }

    private static Task<IResult> SegmentAsync(HttpContext http, string cameraId, long sequence, ViewerAdmission admission, LiveStreams streams) =>
        MediaAsync(http, cameraId, sequence, null, admission, streams);

    private static Task<IResult> PartAsync(HttpContext http, string cameraId, long sequence, int part, ViewerAdmission admission, LiveStreams streams) =>
        MediaAsync(http, cameraId, sequence, part, admission, streams);

    private static async Task<IResult> MediaAsync(HttpContext http, string cameraId, long sequence, int? part, ViewerAdmission admission, LiveStreams streams)
    {
        var (stream, viewer, refusal) = await AdmitAsync(http, cameraId, admission, streams);
        if (refusal is not null)
        {
            return refusal;
        }

        var fragments = stream!.Take(sequence, part, completeOnly: part is null);
        if (fragments is null)
        {
            // The hinted next part, or the segment being filled: wait for it briefly.
            var window = stream.Window(dvr: false);
            var newest = window.Segments.Count > 0 ? window.Segments[^1].Sequence : -1;
            if (sequence < newest - 1 && !LlHlsPlaylist.Holds(window, sequence, part) || sequence > newest + 1)
            {
                return ServiceDefaults.Problems.Problem.NotFound($"{(part is null ? "Segment" : "Part")} {sequence}{(part is { } p ? $".{p}" : "")} is not in the live window.");
            }

            if (!await WaitForAsync(stream, viewer!, http, w => LlHlsPlaylist.Holds(w, sequence, part)))
            {
                return Ended(viewer!, cameraId);
            }

            fragments = stream.Take(sequence, part, completeOnly: part is null);
            if (fragments is null)
            {
                return ServiceDefaults.Problems.Problem.NotFound($"Segment {sequence} is not in the live window.");
            }
        }

        return new FragmentsResult(fragments, viewer!);
    }

    private static async Task<(LiveStream? Stream, HlsViewer? Viewer, IResult? Refusal)> AdmitAsync(
        HttpContext http, string cameraId, ViewerAdmission admission, LiveStreams streams)
    {
        if (http.Request.Query.TryGetValue("session", out var key))
        {
            // A part or segment of an open session: its key is the whole credential, and only while the
            // session lasts (the sweep ends it on revoke, expiry, recording stop or a pause).
            if (streams.FindHlsSession(key.ToString(), cameraId) is not { } open)
            {
                return (null, null, StreamingProblems.Of(StatusCodes.Status401Unauthorized, StreamingProblems.HlsSessionEnded, "The session has ended",
                    "This LL-HLS session key is not (or no longer) valid; load the playlist again with the stream token."));
            }

            return streams.Find(cameraId) is { } live ? (live, open, null) : (null, null, StreamingProblems.NotLive(cameraId));
        }

        var (pass, refusal) = await admission.AdmitAsync(http, cameraId);
        if (pass is null)
        {
            return (null, null, refusal);
        }

        if (streams.Find(cameraId) is not { } stream)
        {
            return (null, null, StreamingProblems.NotLive(cameraId));
        }

        var existing = streams.SessionsOnGrant(pass.GrantId).OfType<HlsViewer>().FirstOrDefault(s => s.EndReason is null);
        if (await admission.CheckConcurrencyAsync(http, pass, except: existing) is { } inUse)
        {
            return (null, null, inUse);
        }

        var viewer = await streams.HlsSessionAsync(pass, http.ClientAddress() ?? "unknown", http.CorrelationId(), http.RequestAborted);
        return (stream, viewer, null);
    }

    /// <summary>
    /// Waits until the live window (not the DVR segments: it is looked at on every fragment published)
    /// satisfies <paramref name="ready"/>; false when the session or stream ended, or it took too long.
    /// </summary>
    private static async Task<bool> WaitForAsync(LiveStream stream, HlsViewer viewer, HttpContext http, Func<PlaylistWindow, bool> ready)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(viewer.Ended, http.RequestAborted);
        limit.CancelAfter(BlockAtMost);
        try
        {
            while (true)
            {
                var next = stream.NextPublished();
                if (ready(stream.Window(dvr: false)))
                {
                    return true;
                }

                if (stream.Ended)
                {
                    return false;
                }

                await next.WaitAsync(limit.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static ProblemHttpResult Ended(HlsViewer viewer, string cameraId) => viewer.EndReason is { } reason
        ? StreamingProblems.Of(StatusCodes.Status403Forbidden, StreamingProblems.GrantEnded, "Watching has ended", $"{reason}{(viewer.EndDetail is { } d ? $": {d}" : "")}")
        : StreamingProblems.Of(StatusCodes.Status503ServiceUnavailable, ServiceDefaults.Problems.ProblemTypes.DependencyUnavailable, "Not yet",
            $"Camera '{cameraId}' has not produced what was asked for yet; ask again.");

    /// <summary>Writes fragments (shared buffers) one after another and releases them.</summary>
    private sealed class FragmentsResult(IReadOnlyList<Fragment> fragments, HlsViewer viewer) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            try
            {
                httpContext.Response.ContentType = "video/iso.segment";
                httpContext.Response.ContentLength = fragments.Sum(f => (long)f.Length);
                foreach (var fragment in fragments)
                {
                    await httpContext.Response.Body.WriteAsync(fragment.Bytes, viewer.Ended);
                    viewer.Count(fragment.Length);
                }
            }
            finally
            {
                foreach (var fragment in fragments)
                {
                    fragment.Release();
                }
            }
        }
    }
}
