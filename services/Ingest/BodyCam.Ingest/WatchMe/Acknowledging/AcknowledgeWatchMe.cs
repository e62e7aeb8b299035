using BodyCam.Ingest.Cameras;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Ingest.WatchMe.Acknowledging;

public sealed record AcknowledgeWatchMeRequest(string? Note = null);

public sealed record WatchMeAcknowledgement(string CameraId, string AcknowledgedBy, DateTimeOffset At);

/// <summary>
/// <c>POST /api/ingest/cameras/{cameraId}/watch-me/acknowledge</c> (control room, supervisor): the
/// control room has seen the Watch Me; the wearer's camera is told who.
/// </summary>
public static class AcknowledgeWatchMe
{
    public static RouteHandlerBuilder MapAcknowledgeWatchMe(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/watch-me/acknowledge", HandleAsync)
            .RequireRoles(Roles.ControlRoom, Roles.Supervisor)
            .WithName("AcknowledgeWatchMe")
            .WithSummary("Acknowledge a camera's open Watch Me; the wearer is told.");

    private static async Task<Results<Ok<WatchMeAcknowledgement>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string cameraId, AcknowledgeWatchMeRequest request, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.Note is { Length: > Requesting.RequestWatchMe.MaxNoteLength })
        {
            return Problem.Invalid("note", $"A note is at most {Requesting.RequestWatchMe.MaxNoteLength} characters.");
        }

        var stream = await session.Events.FetchForWriting<Camera>(CameraStream.Key(cameraId), cancellationToken);
        if (stream.Aggregate is not { } camera)
        {
            return Problem.NotFound($"No camera '{cameraId}' is registered.");
        }

        if (CameraDecisions.AcknowledgeWatchMe(camera, request.Note, new Change(http.User.ActorId(), time.GetUtcNow(), http.CorrelationId())) is not { } acknowledged)
        {
            return Problem.Conflict($"Camera '{cameraId}' has no open Watch Me.");
        }

        stream.AppendOne(acknowledged);
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new WatchMeAcknowledgement(cameraId, acknowledged.ActorId, acknowledged.OccurredAt));
    }
}
