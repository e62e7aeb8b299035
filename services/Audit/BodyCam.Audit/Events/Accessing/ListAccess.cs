using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Events.Accessing;

/// <summary>One time a viewer's player was connected on a grant.</summary>
public sealed record AccessSession(string SessionId, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long? Bytes, long? DurationMs, string? EndReason);

/// <summary>An instruction the viewer sent the wearer on this grant, and when the camera acknowledged it.</summary>
public sealed record AccessInstruction(string InstructionId, DateTimeOffset SentAt, string Text, DateTimeOffset? AcknowledgedAt);

/// <summary>A moment the viewer marked on this grant (<see cref="At"/>, the video's) and when they marked it.</summary>
public sealed record AccessBookmark(string BookmarkId, DateTimeOffset At, string Note, DateTimeOffset MarkedAt);

/// <summary>A talk with the wearer on this grant: how long, how much each way, and the hash of the recording kept as evidence.</summary>
public sealed record AccessTalk(string TalkId, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long? DurationMs, int? FramesFromViewer, int? FramesFromCamera, string? AudioSha256, string? EndReason);

/// <summary>
/// One consultation, as the Data Protection Act 2018 s.62 log wants it: who (viewer and role, from
/// where), whose camera (wearer and camera), when (asked, sessions' start and end), why (purpose,
/// reason, incident), on what authority (grant, policy version and rule), and how it came out
/// (refused, pending, granted, cut off, ended); and what the viewer did with it: instructions to the
/// wearer, moments marked. <see cref="Seqs"/> are the chain entries it is made of,
/// <see cref="LeafHashes"/> their leaf hashes in the log's Merkle tree, in the same order.
/// </summary>
public sealed record AccessRecord(
    string GrantId, DateTimeOffset RequestedAt, string ViewerId, string ViewerRole, string? OfficerId, string? CameraId,
    string Purpose, string Reason, string? IncidentRef, string PolicyVersion, string Rule, string Explanation, string Decision,
    string Outcome, string? ApprovedBy, string? ClientAddress, DateTimeOffset? ExpiresAt, DateTimeOffset? EndedAt, string? EndReason,
    IReadOnlyList<AccessSession> Sessions, IReadOnlyList<AccessInstruction> Instructions, IReadOnlyList<AccessBookmark> Bookmarks, IReadOnlyList<AccessTalk> Talks,
    IReadOnlyList<long> Seqs, IReadOnlyList<string> LeafHashes);

/// <summary>
/// <c>GET /api/audit/access?cameraId=&amp;viewerId=&amp;officerId=&amp;incidentRef=&amp;from=&amp;to=&amp;limit=</c>
/// (compliance, admin): access records, newest first, each a view request joined with what followed
/// it on the chain (approval or refusal, extensions, the viewer sessions, revocation or expiry).
/// </summary>
public static class ListAccess
{
    private static readonly string[] FollowUps =
        [
            "ViewRequestApproved", "ViewRequestRefused", "GrantExtended", "GrantRevoked", "GrantExpired", "ViewerSessionStarted", "ViewerSessionEnded",
            "InstructionSent", "InstructionAcknowledged", "BookmarkMarked", "TalkSessionStarted", "TalkSessionEnded",
        ];

    private static readonly HashSet<string> CutOffs = ["grant-revoked", "grant-expired", "recording-stopped", "viewer-too-slow", "stream-ended", "streaming-restarted", "service-stopping"];

    public static RouteHandlerBuilder MapListAccess(this RouteGroupBuilder audit) =>
        audit.MapGet("/access", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("ListAccessRecords")
            .WithSummary("Access records: each request to watch joined with its outcome and viewer sessions.");

    private static async Task<Results<Ok<IReadOnlyList<AccessRecord>>, ValidationProblem>> HandleAsync(
        HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken, string? cameraId = null, string? viewerId = null, string? officerId = null,
        string? incidentRef = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int limit = 100, string? reason = null)
    {
        if (limit is < 1 or > 1000)
        {
            return Problem.Invalid("limit", "limit must be between 1 and 1000.");
        }

        if (from > to)
        {
            return Problem.Invalid("from", "from must not be after to.");
        }

        var requests = session.Query<AuditEntry>().Where(e => e.Type == "ViewRequestDecided");
        requests = cameraId is null ? requests : requests.Where(e => e.CameraId == cameraId);
        requests = viewerId is null ? requests : requests.Where(e => e.ViewerId == viewerId);
        requests = officerId is null ? requests : requests.Where(e => e.OfficerId == officerId);
        requests = incidentRef is null ? requests : requests.Where(e => e.IncidentRef == incidentRef);
        requests = from is null ? requests : requests.Where(e => e.At >= from);
        requests = to is null ? requests : requests.Where(e => e.At <= to);
        var decided = await requests.OrderByDescending(e => e.Id).Take(limit).ToListAsync(cancellationToken);
        var ids = decided.Select(e => e.Subject).ToArray();
        var followUps = ids.Length == 0
            ? []
            : await session.Query<AuditEntry>().Where(e => e.Subject.IsOneOf(ids) && e.Type.IsOneOf(FollowUps)).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var byGrant = followUps.ToLookup(e => e.Subject);

        IReadOnlyList<AccessRecord> records = [.. decided.Select(d => Join(d, [.. byGrant[d.Subject]]))];
        PersonalDataReads.Record(session, http, "audit", "access-records", officerId ?? viewerId ?? cameraId ?? incidentRef, records.Count, reason, time.GetUtcNow());
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(records);
    }

    private static AccessRecord Join(AuditEntry decidedEntry, IReadOnlyList<AuditEntry> after)
    {
        var d = JsonDocument.Parse(decidedEntry.Data).RootElement;
        var decision = EntryData.Text(d, "decision") ?? "unknown";
        DateTimeOffset? expiresAt = d.TryGetProperty("expiresAt", out var e) && e.ValueKind == JsonValueKind.String ? e.GetDateTimeOffset() : null;
        string? approvedBy = null, endReason = null;
        DateTimeOffset? endedAt = null;
        var refusedLater = false;
        var sessions = new Dictionary<string, AccessSession>();
        var instructions = new Dictionary<string, AccessInstruction>();
        var bookmarks = new List<AccessBookmark>();
        var talks = new Dictionary<string, AccessTalk>();
        foreach (var entry in after)
        {
            var data = JsonDocument.Parse(entry.Data).RootElement;
            switch (entry.Type)
            {
                case "ViewRequestApproved":
                    approvedBy = entry.ActorId;
                    expiresAt = data.GetProperty("expiresAt").GetDateTimeOffset();
                    break;
                case "ViewRequestRefused":
                    refusedLater = true;
                    endedAt = entry.At;
                    endReason = EntryData.Text(data, "note") ?? "refused by the approver";
                    break;
                case "GrantExtended":
                    expiresAt = data.GetProperty("expiresAt").GetDateTimeOffset();
                    break;
                case "GrantRevoked":
                    endedAt = entry.At;
                    endReason = $"revoked by {entry.ActorId}: {EntryData.Text(data, "reason")}";
                    break;
                case "GrantExpired":
                    endedAt ??= entry.At;
                    endReason ??= "expired";
                    break;
                case "ViewerSessionStarted":
                    var id = EntryData.Text(data, "sessionId")!;
                    sessions[id] = new AccessSession(id, entry.At, null, null, null, null);
                    break;
                case "ViewerSessionEnded":
                    var ended = EntryData.Text(data, "sessionId")!;
                    var started = sessions.GetValueOrDefault(ended) ?? new AccessSession(ended, entry.At, null, null, null, null);
                    sessions[ended] = started with
                    {
                        EndedAt = entry.At, Bytes = data.GetProperty("bytes").GetInt64(), DurationMs = data.GetProperty("durationMs").GetInt64(), EndReason = EntryData.Text(data, "reason"),
                    };
                    break;
                case "InstructionSent":
                    var sent = EntryData.Text(data, "instructionId")!;
                    instructions[sent] = new AccessInstruction(sent, entry.At, EntryData.Text(data, "text") ?? "", instructions.GetValueOrDefault(sent)?.AcknowledgedAt);
                    break;
                case "InstructionAcknowledged":
                    var acknowledged = EntryData.Text(data, "instructionId")!;
                    instructions[acknowledged] = (instructions.GetValueOrDefault(acknowledged) ?? new AccessInstruction(acknowledged, entry.At, "", null)) with { AcknowledgedAt = entry.At };
                    break;
                case "TalkSessionStarted":
                    var talk = EntryData.Text(data, "talkId")!;
                    talks[talk] = new AccessTalk(talk, entry.At, null, null, null, null, null, null);
                    break;
                case "TalkSessionEnded":
                    var talked = EntryData.Text(data, "talkId")!;
                    talks[talked] = (talks.GetValueOrDefault(talked) ?? new AccessTalk(talked, entry.At, null, null, null, null, null, null)) with
                    {
                        EndedAt = entry.At, DurationMs = data.GetProperty("durationMs").GetInt64(), FramesFromViewer = data.GetProperty("framesFromViewer").GetInt32(),
                        FramesFromCamera = data.GetProperty("framesFromCamera").GetInt32(), AudioSha256 = EntryData.Text(data, "audioSha256"), EndReason = EntryData.Text(data, "reason"),
                    };
                    break;
                case "BookmarkMarked":
                    bookmarks.Add(new AccessBookmark(EntryData.Text(data, "bookmarkId")!, data.GetProperty("moment").GetDateTimeOffset(), EntryData.Text(data, "note") ?? "", entry.At));
                    break;
            }
        }

        var outcome = decision == "denied" || refusedLater ? "refused"
            : decision == "pending" && approvedBy is null ? "pending"
            : sessions.Values.Any(s => s.EndReason is { } r && CutOffs.Contains(r)) ? "cut off"
            : endedAt is not null || sessions.Count > 0 && sessions.Values.All(s => s.EndedAt is not null) ? "ended"
            : "granted";
        return new AccessRecord(
            decidedEntry.Subject, decidedEntry.At, decidedEntry.ViewerId ?? "", EntryData.Text(d, "viewerRole") ?? "", decidedEntry.OfficerId, decidedEntry.CameraId,
            EntryData.Text(d, "purpose") ?? "", EntryData.Text(d, "reason") ?? "", decidedEntry.IncidentRef, EntryData.Text(d, "policyVersion") ?? "", EntryData.Text(d, "rule") ?? "",
            EntryData.Text(d, "explanation") ?? "", decision, outcome, approvedBy, EntryData.Text(d, "clientAddress"), expiresAt, endedAt, endReason,
            [.. sessions.Values.OrderBy(s => s.StartedAt)], [.. instructions.Values.OrderBy(i => i.SentAt)], [.. bookmarks.OrderBy(b => b.At)], [.. talks.Values.OrderBy(t => t.StartedAt)], [decidedEntry.Id, .. after.Select(a => a.Id)],
            [decidedEntry.ComputeLeafHash(), .. after.Select(a => a.ComputeLeafHash())]);
    }
}
