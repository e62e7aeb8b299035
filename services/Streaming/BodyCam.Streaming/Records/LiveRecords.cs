using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.Streaming.Live;
using Marten;
using Polly;
using Polly.Retry;

namespace BodyCam.Streaming.Records;

/// <summary>
/// A stream or viewer session that was opened on the record and not yet closed. Kept beside the
/// event, in the same transaction, so that after a crash the service can close on the record what it
/// can no longer serve.
/// </summary>
public sealed record OpenRecord(string Id, string Kind, string CameraId, string? ViewerId, string? GrantId, DateTimeOffset OpenedAt);

/// <summary>
/// Streaming's facts, each appended to its Marten stream before it is acted on and then published to
/// the bus by the store's subscription: a stream went live or ended, a viewer session started or
/// ended, a push was refused.
/// </summary>
public sealed class LiveRecords(IDocumentStore store, TimeProvider time, IConfiguration configuration, ILogger<LiveRecords> log)
{
    public const string System = "system:streaming";

    /// <summary>
    /// A stream goes live only once that is on the record. When the database is not answering (a
    /// failover: its primary lost, a replica being promoted) the camera is held, still connected, its
    /// media waiting in the connection, and the record is tried again until the database answers or
    /// <c>Streaming:GoLiveWait</c> (30 s) passes. Refusing at once would send the camera round again,
    /// through a gateway, for a refusal it reads only after the refused body has drained.
    /// </summary>
    public async Task WentLiveAsync(LiveStream stream, string actorId, Guid correlationId, CancellationToken cancellationToken)
    {
        try
        {
            await _untilRecorded.ExecuteAsync(async token =>
            {
                await using var session = store.LightweightSession();
                session.Events.StartStream(stream.LiveId, new StreamWentLive(stream.CameraId, actorId, stream.Since, correlationId));
                session.Store(new OpenRecord(stream.LiveId, "stream", stream.CameraId, null, null, stream.Since));
                try
                {
                    await session.SaveChangesAsync(token);
                }
                catch (Marten.Exceptions.ExistingStreamIdCollisionException)
                {
                    // An earlier try committed and lost its answer (the connection cut after the commit):
                    // the record already says so. The live id is new for each stream, never another's.
                    if (!await IsRecordedAsync(stream.LiveId, token))
                    {
                        throw;
                    }
                }
            }, cancellationToken);
        }
        catch (Polly.Timeout.TimeoutRejectedException e)
        {
            // A 503 with Retry-After (DependencyFailures), as when the database refuses outright.
            throw new TimeoutException("The database did not record the stream going live in time.", e);
        }
    }

    private async Task<bool> IsRecordedAsync(string liveId, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<OpenRecord>(liveId, cancellationToken) is not null;
    }

    private readonly ResiliencePipeline _untilRecorded = new ResiliencePipelineBuilder()
        .AddTimeout(configuration.GetValue("Streaming:GoLiveWait", TimeSpan.FromSeconds(30)))
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(2),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(DependencyFailures.IsUnavailable),
            OnRetry = args =>
            {
                log.LogWarning("Recording a stream going live failed (attempt {Attempt}): {Reason}; trying again", args.AttemptNumber + 1, args.Outcome.Exception?.GetBaseException().Message);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    public Task EndedAsync(LiveStream stream, string reason, string actorId, Guid correlationId) =>
        CloseAsync(stream.LiveId, new StreamEnded(stream.CameraId, reason, actorId, time.GetUtcNow(), correlationId));

    /// <summary>A dropped push came back: the span it missed goes on the stream's record.</summary>
    public Task ResumedAsync(LiveStream stream, DateTimeOffset droppedAt, string actorId, Guid correlationId) =>
        AppendAsync(stream.LiveId, new StreamResumed(stream.CameraId, stream.LiveId, droppedAt, time.GetUtcNow(), actorId, time.GetUtcNow(), correlationId));

    /// <summary>A back-fill was filed: how much of the drop the rewind buffer now holds, and what hole stays.</summary>
    public Task GapFilledAsync(LiveStream stream, GapView gap, int fragments, string actorId, Guid correlationId) =>
        AppendAsync(stream.LiveId, new StreamGapFilled(stream.CameraId, stream.LiveId, gap.DroppedAt, gap.ResumedAt,
            (long)gap.Missed.TotalMilliseconds, (long)gap.Filled.TotalMilliseconds, (long)gap.Left.TotalMilliseconds, fragments,
            actorId, time.GetUtcNow(), correlationId));

    public async Task PushRefusedAsync(string cameraId, string problem, string detail, string? clientAddress, string actorId, Guid correlationId)
    {
        try
        {
            await using var session = store.LightweightSession();
            session.Events.StartStream($"push-refused-{Guid.CreateVersion7():N}",
                new LivePushRefused(cameraId, problem, detail, clientAddress, actorId, time.GetUtcNow(), correlationId));
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not record the refused push of camera {CameraId}", cameraId);
        }
    }

    /// <summary>Stored before the viewer gets a byte.</summary>
    public async Task SessionStartedAsync(ViewerSession viewer, Guid correlationId, CancellationToken cancellationToken)
    {
        var pass = viewer.Pass;
        await using var session = store.LightweightSession();
        session.Events.StartStream(StreamKey(viewer), new ViewerSessionStarted(
            viewer.SessionId, pass.CameraId, pass.ViewerId, pass.GrantId, pass.ViewerId, viewer.StartedAt, correlationId));
        session.Store(new OpenRecord(StreamKey(viewer), "viewer-session", pass.CameraId, pass.ViewerId, pass.GrantId, viewer.StartedAt));
        await session.SaveChangesAsync(cancellationToken);
    }

    public Task SessionEndedAsync(ViewerSession viewer, Guid correlationId)
    {
        var now = time.GetUtcNow();
        var pass = viewer.Pass;
        var reason = viewer.EndReason ?? EndReasons.ViewerLeft;
        // The viewer leaving is their own act; a cut-off is the system's.
        var actor = reason == EndReasons.ViewerLeft ? pass.ViewerId : System;
        return CloseAsync(StreamKey(viewer), new ViewerSessionEnded(
            viewer.SessionId, pass.CameraId, pass.ViewerId, pass.GrantId, viewer.Bytes,
            (long)(now - viewer.StartedAt).TotalMilliseconds, reason, actor, now, correlationId));
    }

    /// <summary>After a restart: closes on the record every stream and session the last run left open.</summary>
    public async Task<int> CloseLeftOpenAsync(CancellationToken cancellationToken)
    {
        await using var query = store.QuerySession();
        // Talks left open are closed by Talk/TalkRecords, with what was kept of their audio.
        var open = await query.Query<OpenRecord>().Where(r => r.Kind != Talk.TalkRecords.OpenKind).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var record in open)
        {
            object ended = record.Kind == "stream"
                ? new StreamEnded(record.CameraId, "streaming-restarted", System, now, Guid.NewGuid())
                : new ViewerSessionEnded(record.Id["viewer-session-".Length..], record.CameraId, record.ViewerId ?? "", record.GrantId ?? "",
                    0, (long)(now - record.OpenedAt).TotalMilliseconds, "streaming-restarted", System, now, Guid.NewGuid());
            await CloseAsync(record.Id, ended);
        }

        return open.Count;
    }

    private async Task AppendAsync(string streamKey, object fact)
    {
        try
        {
            await using var session = store.LightweightSession();
            session.Events.Append(streamKey, fact);
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not record {Event} on {Stream}", fact.GetType().Name, streamKey);
        }
    }

    private async Task CloseAsync(string streamKey, object ended)
    {
        try
        {
            await using var session = store.LightweightSession();
            session.Events.Append(streamKey, ended);
            session.Delete<OpenRecord>(streamKey);
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // Left open on the record: the next start closes it as "streaming-restarted".
            log.LogError(e, "Could not record {Event} on {Stream}", ended.GetType().Name, streamKey);
        }
    }

    private static string StreamKey(ViewerSession viewer) => $"viewer-session-{viewer.SessionId}";
}
