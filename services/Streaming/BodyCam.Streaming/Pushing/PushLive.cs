using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Live;
using BodyCam.Streaming.Media;
using BodyCam.Streaming.Records;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace BodyCam.Streaming.Pushing;

/// <summary>
/// <c>POST /api/streaming/cameras/{cameraId}/live</c>: a camera pushes its live media as one long
/// chunked body of fragmented MP4. The stream goes live (on the record) once the init segment is in;
/// each fragment goes to the viewers as it completes. A push that drops leaves the stream waiting a
/// little for the camera to reconnect and continue; bad media ends it with a problem and an event.
/// </summary>
public static class PushLive
{
    public sealed record PushSummary(string CameraId, string LiveId, long Fragments, long Bytes, bool Resumed);

    public static RouteHandlerBuilder MapPushLive(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/live", PushAsync)
            .RequireRoles(Roles.Device)
            .WithName("PushLive")
            .WithSummary("A camera pushes its live media (chunked fragmented MP4, as ffmpeg -f mp4 -movflags frag_keyframe+empty_moov+default_base_moof sends it).")
            .Produces<PushSummary>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<IResult> PushAsync(
        HttpContext http, string cameraId, LiveStreams streams, LiveRecords records, AccessRefusals refusals,
        IConfiguration configuration, TimeProvider time, ILogger<LiveStream> log)
    {
        http.CloseConnectionOnRefusal();
        var actor = http.User.ActorId();
        var correlationId = http.CorrelationId();
        if (!http.User.IsInRole(Roles.Device) || http.User.FindFirst(BodyCamClaims.CameraId)?.Value != cameraId)
        {
            await refusals.RecordAsync(http, $"A device may push only its own camera's media; this token is not camera '{cameraId}'.", http.RequestAborted);
            return Problem.Forbidden($"This token may not push media for camera '{cameraId}'.");
        }

        if (!streams.TryClaimPush(cameraId))
        {
            const string detail = "This camera is already pushing live media; a second push is refused while the first is connected.";
            await records.PushRefusedAsync(cameraId, "already-live", detail, http.ClientAddress(), actor, correlationId);
            return StreamingProblems.Of(StatusCodes.Status409Conflict, StreamingProblems.AlreadyLive, "Already live", detail);
        }

        // A live push is one request for as long as the camera records: no size limit, no minimum rate.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        LiveStream? stream = null;
        var reader = new PushReader(http.Request.BodyReader, Math.Min(configuration.GetValue("Streaming:MaxFragmentBytes", FragmentPool.MaxFragmentBytes), FragmentPool.MaxFragmentBytes));
        long fragments = 0;
        var resumed = false;
        try
        {
            var init = await reader.ReadInitAsync(http.RequestAborted);
            (stream, resumed) = await GoLiveAsync(cameraId, init, streams, records, actor, correlationId, time, configuration, http.RequestAborted);
            log.LogInformation("Camera {CameraId} is live ({LiveId}, {How})", cameraId, stream.LiveId, resumed ? "resumed" : "new");
            var keyframes = new KeyframeWatch(
                configuration.GetValue("Streaming:MaxKeyframeInterval", TimeSpan.FromSeconds(10)),
                configuration.GetValue("Streaming:MaxBytesBetweenKeyframes", 64L * 1024 * 1024),
                time);
            while (await reader.ReadFragmentAsync(stream.Init, stream.Timeline, http.RequestAborted) is { } fragment)
            {
                if (keyframes.Check(fragment) is { } tooLong)
                {
                    fragment.Release();
                    throw new MediaRejectedException(MediaProblem.NoKeyframe, tooLong);
                }

                stream.Publish(fragment);
                fragments++;
            }

            // The camera ended its push: the stream ends now, not after a reconnection grace.
            await streams.EndAsync(stream, "push-ended", actor, correlationId);
            return TypedResults.Ok(new PushSummary(cameraId, stream.LiveId, fragments, reader.BytesRead, resumed));
        }
        catch (MediaRejectedException rejected)
        {
            log.LogWarning("Camera {CameraId}'s push was refused: {Problem} {Detail}", cameraId, rejected.Code, rejected.Message);
            await records.PushRefusedAsync(cameraId, rejected.Code, rejected.Message, http.ClientAddress(), actor, correlationId);
            if (stream is not null)
            {
                await streams.EndAsync(stream, rejected.Code, LiveRecords.System, correlationId);
            }

            return StreamingProblems.MediaRejected(rejected.Code, rejected.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The connection dropped: the camera may reconnect and continue the same stream.
            log.LogInformation("Camera {CameraId}'s push dropped after {Fragments} fragments", cameraId, fragments);
            stream?.Dropped(time.GetUtcNow());
            return Results.Empty;
        }
        finally
        {
            streams.ReleasePush(cameraId);
        }
    }

    private static async Task<(LiveStream Stream, bool Resumed)> GoLiveAsync(
        string cameraId, InitSegment init, LiveStreams streams, LiveRecords records, string actor, Guid correlationId,
        TimeProvider time, IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (streams.Find(cameraId) is { } existing)
        {
            if (existing.Init.SameAs(init) && existing.TryResume(time.GetUtcNow(), out var droppedAt))
            {
                await records.ResumedAsync(existing, droppedAt, actor, correlationId);
                return (existing, true);
            }

            // A different format (a restarted encoder with other settings): the old stream ends.
            await streams.EndAsync(existing, "camera-restarted", actor, correlationId);
        }

        var stream = new LiveStream(cameraId, $"live-{Guid.CreateVersion7():N}", init, time.GetUtcNow(),
            configuration.GetValue("Streaming:WindowSegments", LiveStream.DefaultWindowSegments),
            TimeSpan.FromSeconds(configuration.GetValue("Streaming:RewindSeconds", LiveStream.DefaultRewind.TotalSeconds)),
            configuration.GetValue("Streaming:RewindBytesPerStream", LiveStream.DefaultRewindBytes));
        await records.WentLiveAsync(stream, actor, correlationId, cancellationToken);
        streams.Add(stream);
        return (stream, false);
    }
}

/// <summary>
/// A stream's memory is its window, and the window turns over only at keyframes: a camera that sends
/// none for longer than a bound (in time or in bytes) is cut off, so no push can grow it for ever.
/// </summary>
internal sealed class KeyframeWatch(TimeSpan maxInterval, long maxBytes, TimeProvider time)
{
    private long _since = time.GetTimestamp();
    private long _bytes;

    /// <summary>Null while the camera keeps within the bounds; otherwise why it is cut off.</summary>
    public string? Check(Fragment fragment)
    {
        if (fragment.StartsWithKeyframe)
        {
            _since = time.GetTimestamp();
            _bytes = fragment.Length;
            return null;
        }

        _bytes += fragment.Length;
        var elapsed = time.GetElapsedTime(_since);
        return elapsed > maxInterval || _bytes > maxBytes
            ? $"No keyframe for {elapsed.TotalSeconds:0.#} s and {_bytes:N0} bytes; a live camera must send one at least every {maxInterval.TotalSeconds:0.#} s."
            : null;
    }
}
