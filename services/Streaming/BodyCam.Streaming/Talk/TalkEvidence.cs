using BodyCam.Contracts.Streaming;
using BodyCam.Streaming.Records;
using Marten;

namespace BodyCam.Streaming.Talk;

/// <summary>A talk session's recording, kept for the force's retention period (<c>Streaming:TalkRetention</c>).</summary>
public sealed record TalkAudio(string Id, string CameraId, string ViewerId, string GrantId, string? IncidentRef, string Format, string Sha256, byte[] Bytes, DateTimeOffset RecordedAt, DateTimeOffset KeepUntil);

/// <summary>A stretch of a talk's recording stored while the talk goes on (<see cref="From"/> is its byte offset); joined into <see cref="TalkAudio"/> at the end.</summary>
public sealed record TalkAudioPart(string Id, string TalkId, long From, byte[] Bytes);

/// <summary>
/// Talk sessions on the record: started (stored, with an open record, before the channel opens), the
/// recording stored in parts every few seconds while it goes on, and ended: the whole recording in the
/// same transaction as the fact that carries its hash, so the audit's record of the hash and the
/// evidence it names are never one without the other. A talk the last run left open (the process was
/// killed) is closed at start with what its parts kept.
/// </summary>
public sealed class TalkRecords(IDocumentStore store, IConfiguration configuration, TimeProvider time, ILogger<TalkRecords> log)
{
    public const string Format = "bodycam-talk-v1";
    public const string OpenKind = "talk";

    private TimeSpan Retention => configuration.GetValue("Streaming:TalkRetention", TimeSpan.FromDays(31));

    public static string StreamKey(string talkId) => $"talk-{talkId}";

    /// <summary>Stored before the channel opens: no word passes that is not on the record.</summary>
    public async Task StartedAsync(string talkId, Live.ViewerPass pass, DateTimeOffset startedAt, Guid correlationId, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        session.Events.StartStream(StreamKey(talkId),
            new TalkSessionStarted(talkId, pass.CameraId, pass.ViewerId, pass.GrantId, pass.IncidentRef, pass.ViewerId, startedAt, correlationId));
        session.Store(new OpenRecord(StreamKey(talkId), OpenKind, pass.CameraId, pass.ViewerId, pass.GrantId, startedAt));
        session.Store(new TalkOpen(talkId, pass.IncidentRef));
        await session.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Stores what was recorded since the last part; a failure keeps it for the next try.</summary>
    public async Task KeepAsync(TalkViewer viewer, CancellationToken cancellationToken)
    {
        var (from, bytes) = viewer.Recording.Unkept();
        if (bytes.Length == 0)
        {
            return;
        }

        try
        {
            await using var session = store.LightweightSession();
            session.Store(new TalkAudioPart($"{viewer.TalkId}-{from:D12}", viewer.TalkId, from, bytes));
            await session.SaveChangesAsync(cancellationToken);
            viewer.Recording.Kept(from + bytes.Length);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Could not store part of talk {TalkId}'s recording; it is kept in memory and tried again", viewer.TalkId);
        }
    }

    public Task EndedAsync(TalkViewer viewer, Guid correlationId)
    {
        var pass = viewer.Pass;
        var reason = viewer.EndReason ?? "viewer-left";
        return EndAsync(viewer.TalkId, pass.CameraId, pass.ViewerId, pass.GrantId, pass.IncidentRef, viewer.StartedAt, viewer.FramesFromViewer, viewer.FramesFromCamera,
            viewer.Recording.Seal()?.Bytes, reason, reason == "viewer-left" ? pass.ViewerId : LiveRecords.System, correlationId);
    }

    /// <summary>After a restart: closes every talk the last run left open, with the recording its parts kept.</summary>
    public async Task<int> CloseLeftOpenAsync(CancellationToken cancellationToken)
    {
        await using var query = store.QuerySession();
        var open = await query.Query<OpenRecord>().Where(r => r.Kind == OpenKind).ToListAsync(cancellationToken);
        foreach (var record in open)
        {
            var talkId = record.Id["talk-".Length..];
            var parts = await query.Query<TalkAudioPart>().Where(p => p.TalkId == talkId).OrderBy(p => p.From).ToListAsync(cancellationToken);
            var bytes = parts.Count == 0 ? null : parts.SelectMany(p => p.Bytes).ToArray();
            var packets = bytes is null ? [] : TalkRecording.Read(bytes).ToList();
            var incidentRef = (await query.LoadAsync<TalkOpen>(talkId, cancellationToken))?.IncidentRef;
            await EndAsync(talkId, record.CameraId, record.ViewerId ?? "", record.GrantId ?? "", incidentRef, record.OpenedAt,
                packets.Count(p => p.Speaker != TalkRooms.CameraSpeaker), packets.Count(p => p.Speaker == TalkRooms.CameraSpeaker),
                bytes, "streaming-restarted", LiveRecords.System, Guid.NewGuid());
        }

        return open.Count;
    }

    private async Task EndAsync(
        string talkId, string cameraId, string viewerId, string grantId, string? incidentRef, DateTimeOffset startedAt, int fromViewer, int fromCamera,
        byte[]? recording, string reason, string actorId, Guid correlationId)
    {
        var now = time.GetUtcNow();
        var hash = recording is null ? null : TalkRecording.Hash(recording);
        var ended = new TalkSessionEnded(talkId, cameraId, viewerId, grantId, incidentRef, (long)(now - startedAt).TotalMilliseconds, fromViewer, fromCamera,
            recording?.LongLength ?? 0, hash, reason, actorId, now, correlationId);
        // The evidence is worth retrying for: a database that is down for a moment must not lose what was said.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = store.LightweightSession();
                session.Events.Append(StreamKey(talkId), ended);
                if (recording is not null)
                {
                    session.Store(new TalkAudio(talkId, cameraId, viewerId, grantId, incidentRef, Format, hash!, recording, now, now + Retention));
                }

                session.DeleteWhere<TalkAudioPart>(p => p.TalkId == talkId);
                session.Delete<OpenRecord>(StreamKey(talkId));
                session.Delete<TalkOpen>(talkId);
                await session.SaveChangesAsync(CancellationToken.None);
                return;
            }
            catch (Exception e) when (attempt < 30)
            {
                log.LogWarning(e, "Could not store the end of talk {TalkId} (attempt {Attempt}); trying again", talkId, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)));
            }
            catch (Exception e)
            {
                // Left open on the record: the next start closes it from its stored parts.
                log.LogError(e, "Could not store the end of talk {TalkId}; the next start closes it from the parts kept", talkId);
                return;
            }
        }
    }
}

/// <summary>What a talk left open needs to be closed that the open record does not hold.</summary>
public sealed record TalkOpen(string Id, string? IncidentRef);

/// <summary>
/// At start, closes the talks the last run left open; then hourly deletes recordings past the force's
/// retention period. The hash stays on the audit record.
/// </summary>
public sealed class TalkRetention(IDocumentStore store, TalkRecords records, TimeProvider time, ILogger<TalkRetention> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                if (await records.CloseLeftOpenAsync(stoppingToken) is > 0 and var closed)
                {
                    log.LogWarning("Closed {Count} talks the last run left open, with the audio their parts kept", closed);
                }

                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Talks left open could not be closed yet (attempt {Attempt}); trying again", attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5 * attempt, 60)), stoppingToken);
            }
        }

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
