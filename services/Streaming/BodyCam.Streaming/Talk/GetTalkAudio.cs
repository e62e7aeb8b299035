using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Talk;

/// <summary>
/// <c>GET /api/streaming/talk/{talkId}/audio</c> (compliance, admin): a talk session's recording as
/// evidence (<see cref="TalkRecording"/> describes the format), with its SHA-256 in <c>Repr-Digest</c>
/// (RFC 9530) to compare with the hash on the audit record. The read is on the record.
/// </summary>
public static class GetTalkAudio
{
    public static RouteHandlerBuilder MapGetTalkAudio(this RouteGroupBuilder streaming) =>
        streaming.MapGet("/talk/{talkId}/audio", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("GetTalkAudio")
            .WithSummary("A talk session's recording (Opus packets both ways, as relayed), with its SHA-256 in Repr-Digest.");

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> HandleAsync(
        string talkId, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken, string? reason = null)
    {
        var audio = talkId.Length == 32 && talkId.All(char.IsAsciiHexDigitLower) ? await session.LoadAsync<TalkAudio>(talkId, cancellationToken) : null;
        PersonalDataReads.Record(session, http, "streaming", "talk-audio", audio?.CameraId ?? talkId, audio is null ? 0 : 1, reason, time.GetUtcNow());
        await session.SaveChangesAsync(cancellationToken);
        if (audio is null)
        {
            return Problem.NotFound($"No recording of talk '{talkId}' is kept (none was said, or it is past the retention period).");
        }

        http.Response.Headers["Repr-Digest"] = $"sha-256=:{Convert.ToBase64String(Convert.FromHexString(audio.Sha256))}:";
        return TypedResults.File(audio.Bytes, TalkRecording.MediaType, $"talk-{talkId}.bctalk");
    }
}
