using BodyCam.Contracts.Streaming;
using Marten;

namespace BodyCam.Streaming.Talk;

/// <summary>A talk session's recording, kept for the force's retention period (<c>Streaming:TalkRetention</c>).</summary>
public sealed record TalkAudio(string Id, string CameraId, string ViewerId, string GrantId, string? IncidentRef, string Format, string Sha256, byte[] Bytes, DateTimeOffset RecordedAt, DateTimeOffset KeepUntil);

/// <summary>
/// Talk sessions on the record: started (stored before the channel opens) and ended, with the
/// recording in the same transaction as the fact that carries its hash, so the audit's record of the
/// hash and the evidence it names are never one without the other.
/// </summary>
public sealed class TalkRecords(IDocumentStore store, IConfiguration configuration, TimeProvider time, ILogger<TalkRecords> log)
{
    public const string Format = "bodycam-talk-v1";

    private TimeSpan Retention => configuration.GetValue("Streaming:TalkRetention", TimeSpan.FromDays(31));

    public static string StreamKey(string talkId) => $"talk-{talkId}";

    /// <summary>Stored before the channel opens: no word passes that is not on the record.</summary>
    public async Task StartedAsync(string talkId, Live.ViewerPass pass, DateTimeOffset startedAt, Guid correlationId, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        session.Events.StartStream(StreamKey(talkId),
            new TalkSessionStarted(talkId, pass.CameraId, pass.ViewerId, pass.GrantId, pass.IncidentRef, pass.ViewerId, startedAt, correlationId));
        await session.SaveChangesAsync(cancellationToken);
    }

    public async Task EndedAsync(TalkViewer viewer, Guid correlationId)
    {
        var pass = viewer.Pass;
        var now = time.GetUtcNow();
        var sealedAudio = viewer.Recording.Seal();
        var reason = viewer.EndReason ?? "viewer-left";
        var ended = new TalkSessionEnded(viewer.TalkId, pass.CameraId, pass.ViewerId, pass.GrantId, pass.IncidentRef,
            (long)(now - viewer.StartedAt).TotalMilliseconds, viewer.FramesFromViewer, viewer.FramesFromCamera,
            sealedAudio?.Bytes.LongLength ?? 0, sealedAudio?.Sha256, reason, reason == "viewer-left" ? pass.ViewerId : Records.LiveRecords.System, now, correlationId);
        // The evidence is worth retrying for: a database that is down for a moment must not lose what was said.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = store.LightweightSession();
                session.Events.Append(StreamKey(viewer.TalkId), ended);
                if (sealedAudio is { } audio)
                {
                    session.Store(new TalkAudio(viewer.TalkId, pass.CameraId, pass.ViewerId, pass.GrantId, pass.IncidentRef, Format, audio.Sha256, audio.Bytes, now, now + Retention));
                }

                await session.SaveChangesAsync(CancellationToken.None);
                return;
            }
            catch (Exception e) when (attempt < 30)
            {
                log.LogWarning(e, "Could not store the end of talk {TalkId} (attempt {Attempt}); trying again", viewer.TalkId, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)));
            }
        }
    }
}

/// <summary>Deletes recordings past the force's retention period, hourly. The hash stays on the audit record.</summary>
public sealed class TalkRetention(IDocumentStore store, TimeProvider time, ILogger<TalkRetention> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            try
            {
                await using var session = store.LightweightSession();
                var now = time.GetUtcNow();
                session.DeleteWhere<TalkAudio>(a => a.KeepUntil < now);
                await session.SaveChangesAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Expired talk recordings could not be deleted; trying again in an hour");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
