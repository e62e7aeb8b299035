using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Live;
using BodyCam.Streaming.Media;
using BodyCam.Streaming.Records;
using Microsoft.AspNetCore.Http.Features;

namespace BodyCam.Streaming.Pushing;

/// <summary>
/// <c>POST /api/streaming/cameras/{cameraId}/live/backfill</c>: a camera whose push dropped and came
/// back sends what it recorded while it was away (its init segment, then the fragments it buffered),
/// on a second connection beside its live push. Each fragment is filed by its decode time into the
/// gap the drop left in the stream's rewind buffer, for viewers who look back; none goes to live
/// viewers. What the buffer then holds of each gap, and what hole stays, goes on the stream's record.
/// </summary>
public static class BackfillLive
{
    public const string BackfillMismatch = "urn:bodycam:problem:backfill-not-this-stream";

    public sealed record BackfillSummary(string CameraId, string LiveId, int Fragments, int Filed, int NotFiled, IReadOnlyList<GapView> Gaps);

    public static RouteHandlerBuilder MapBackfillLive(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/live/backfill", BackfillAsync)
            .RequireRoles(Roles.Device)
            .WithName("BackfillLive")
            .WithSummary("A reconnected camera sends the fragments it buffered during a drop (fragmented MP4 with the live push's init segment); they fill the stream's rewind buffer in their place.")
            .Produces<BackfillSummary>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<IResult> BackfillAsync(
        HttpContext http, string cameraId, LiveStreams streams, LiveRecords records, AccessRefusals refusals,
        IConfiguration configuration, ILogger<LiveStream> log)
    {
        http.CloseConnectionOnRefusal();
        if (await OwnCamera.RefuseUnlessAsync(http, cameraId, refusals) is { } refused)
        {
            return refused;
        }

        if (streams.Find(cameraId) is not { } stream)
        {
            return StreamingProblems.NotLive(cameraId);
        }

        // A back-fill holds at most what the rewind buffer may: a bounded body, not an open-ended one.
        var limit = configuration.GetValue("Streaming:RewindBytesPerStream", LiveStream.DefaultRewindBytes) + PushReader.MaxInitBytes;
        if (http.Request.ContentLength > limit)
        {
            return StreamingProblems.MediaRejected("media-box-too-large", $"A back-fill may hold at most {limit:N0} bytes.");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        var before = stream.Gaps;
        var reader = new PushReader(http.Request.BodyReader, Math.Min(configuration.GetValue("Streaming:MaxFragmentBytes", FragmentPool.MaxFragmentBytes), FragmentPool.MaxFragmentBytes));
        int fragments = 0, filed = 0;
        try
        {
            var init = await reader.ReadInitAsync(http.RequestAborted);
            if (!init.SameAs(stream.Init))
            {
                return StreamingProblems.Of(StatusCodes.Status409Conflict, BackfillMismatch, "Not this stream's media",
                    "The back-fill's init segment is not the live stream's: only media from the same encoder settings can fill its gaps.");
            }

            // A camera may send its back-fill the moment it reconnects: until its resumed push's first
            // fragment is in, the gap's end is not known. Waits for it a while (not for ever).
            try
            {
                await stream.GapKnown().WaitAsync(TimeSpan.FromSeconds(10), http.RequestAborted);
            }
            catch (TimeoutException)
            {
            }

            // Read on the stream's clock as the current push shifts it, so each fragment lands where it belongs.
            var timeline = stream.Timeline.AsTheCurrentPush();
            while (await reader.ReadFragmentAsync(stream.Init, timeline, http.RequestAborted) is { } fragment)
            {
                fragments++;
                filed += stream.Fill(fragment) ? 1 : 0;
            }
        }
        catch (MediaRejectedException rejected)
        {
            log.LogWarning("Camera {CameraId}'s back-fill was refused: {Problem} {Detail}", cameraId, rejected.Code, rejected.Message);
            await RecordAsync(records, stream, before, fragments, http);
            return StreamingProblems.MediaRejected(rejected.Code, rejected.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // What was filed before the connection dropped stays filed; the camera may send the rest again.
            log.LogInformation("Camera {CameraId}'s back-fill dropped after {Fragments} fragments", cameraId, fragments);
            await RecordAsync(records, stream, before, fragments, http);
            return Results.Empty;
        }

        var gaps = await RecordAsync(records, stream, before, fragments, http);
        return TypedResults.Ok(new BackfillSummary(cameraId, stream.LiveId, fragments, filed, fragments - filed, gaps));
    }

    /// <summary>Every gap this back-fill filled more of goes on the stream's record.</summary>
    private static async Task<IReadOnlyList<GapView>> RecordAsync(LiveRecords records, LiveStream stream, IReadOnlyList<GapView> before, int fragments, HttpContext http)
    {
        var after = stream.Gaps;
        foreach (var gap in after)
        {
            var earlier = before.FirstOrDefault(g => g.DroppedAt == gap.DroppedAt);
            if (gap.Filled > (earlier?.Filled ?? TimeSpan.Zero))
            {
                await records.GapFilledAsync(stream, gap, fragments, http.User.ActorId(), http.CorrelationId());
            }
        }

        return after;
    }
}
