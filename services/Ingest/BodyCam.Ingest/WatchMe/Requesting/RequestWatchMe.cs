using BodyCam.Ingest.Cameras;
using BodyCam.Ingest.Devices;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Ingest.WatchMe.Requesting;

public sealed record WatchMeRequest(DateTimeOffset At, string? Note = null);

public sealed record WatchMeAccepted(string CameraId, DateTimeOffset At);

/// <summary>
/// <c>POST /api/ingest/cameras/{cameraId}/watch-me</c> (the camera's device token): the wearer asks the
/// control room to watch now. Stored first, then published, so the control room and CAD see it.
/// </summary>
public static class RequestWatchMe
{
    public const int MaxNoteLength = 280;

    public static RouteHandlerBuilder MapRequestWatchMe(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/watch-me", HandleAsync)
            .RequireRoles(Roles.Device)
            .WithName("RequestWatchMe")
            .WithSummary("The wearer asks the control room to watch their camera now.");

    private static async Task<Results<Accepted<WatchMeAccepted>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string cameraId, WatchMeRequest request, HttpContext http, IDocumentSession session, AccessRefusals refusals,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var (stream, refused) = await DeviceAccess.OpenOwnCameraAsync(http, cameraId, request.At, session, refusals, time, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        if (request.Note is { Length: > MaxNoteLength })
        {
            return Problem.Invalid("note", $"A note is at most {MaxNoteLength} characters.");
        }

        var requested = CameraDecisions.RequestWatchMe(stream!.Aggregate!, request.Note, new Change(http.User.ActorId(), request.At.ToUniversalTime(), http.CorrelationId()));
        stream.AppendOne(requested);
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Accepted((string?)null, new WatchMeAccepted(cameraId, requested.OccurredAt));
    }
}
