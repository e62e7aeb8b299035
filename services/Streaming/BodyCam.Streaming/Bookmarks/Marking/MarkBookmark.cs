using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Viewing;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Bookmarks.Marking;

public sealed record MarkBookmarkRequest(DateTimeOffset? At, string? Note);

/// <summary>
/// <c>POST /api/streaming/cameras/{cameraId}/bookmarks</c> <c>{at, note}</c> → 201: a viewer marks a
/// moment of what they watch for the evidence record. Only while they hold a live grant on the camera
/// (bearer token, and the grant's stream token in <c>Stream-Token</c>). The mark is a fact: on the
/// access record and the replay, sent to CAD, and told to the camera so it can mark its own recording.
/// </summary>
public static class MarkBookmark
{
    public static RouteHandlerBuilder MapMarkBookmark(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/bookmarks", HandleAsync)
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Compliance)
            .WithName("MarkBookmark")
            .WithSummary("Mark a moment of the camera you are watching for the evidence record (your grant's stream token in the Stream-Token header).");

    private static async Task<Results<Created<BookmarkView>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string cameraId, MarkBookmarkRequest request, HttpContext http, ViewerAdmission admission, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken)
    {
        var (pass, refusal) = await admission.HolderAsync(http, cameraId);
        if (pass is null)
        {
            return refusal!;
        }

        var id = Guid.CreateVersion7().ToString("N");
        var (marked, field, invalid) = Bookmark.Mark(request.At, request.Note, pass, id, time.GetUtcNow(), http.CorrelationId());
        if (marked is null)
        {
            return Problem.Invalid(field!, invalid!);
        }

        session.Events.StartStream<Bookmark>(Bookmark.StreamKey(id), marked);
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/streaming/cameras/{Uri.EscapeDataString(cameraId)}/bookmarks/{id}",
            new BookmarkView(id, marked.CameraId, marked.ViewerId, marked.GrantId, marked.IncidentRef, marked.Moment, marked.Note, marked.OccurredAt));
    }
}
