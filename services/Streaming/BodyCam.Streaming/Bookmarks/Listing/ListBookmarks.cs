using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Bookmarks.Listing;

/// <summary>
/// <c>GET /api/streaming/cameras/{cameraId}/bookmarks?from=&amp;to=</c> and
/// <c>GET /api/streaming/bookmarks?incidentRef=</c> (supervisor, control room, compliance, admin):
/// the moments viewers marked, in the order of the video. Each read is on the record (what, whose,
/// how many, the reason given).
/// </summary>
public static class ListBookmarks
{
    public const int MaxItems = 1000;
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(31);

    private static readonly string[] Readers = [Roles.Supervisor, Roles.ControlRoom, Roles.Compliance, Roles.Admin];

    public static void MapListBookmarks(this RouteGroupBuilder cameras, RouteGroupBuilder streaming)
    {
        cameras.MapGet("/{cameraId}/bookmarks", ForCameraAsync)
            .RequireRoles(Readers)
            .WithName("ListCameraBookmarks")
            .WithSummary("The moments viewers marked on a camera's video, in a window (default the last 24 hours).");
        streaming.MapGet("/bookmarks", ForIncidentAsync)
            .RequireRoles(Readers)
            .WithName("ListIncidentBookmarks")
            .WithSummary("The moments viewers marked while watching under an incident, on every camera.");
    }

    private static async Task<Results<Ok<IReadOnlyList<BookmarkView>>, ValidationProblem>> ForCameraAsync(
        string cameraId, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken,
        DateTimeOffset? from = null, DateTimeOffset? to = null, string? reason = null)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end - TimeSpan.FromHours(24);
        if (start > end)
        {
            return Problem.Invalid("from", "from must not be after to.");
        }

        if (end - start > MaxWindow)
        {
            return Problem.Invalid("to", $"A window is at most {MaxWindow.TotalDays} days.");
        }

        var found = await session.Query<Bookmark>()
            .Where(b => b.CameraId == cameraId && b.Moment >= start && b.Moment <= end)
            .OrderBy(b => b.Moment).Take(MaxItems).ToListAsync(cancellationToken);
        return await AnswerAsync(session, http, cameraId, found, reason, time, cancellationToken);
    }

    private static async Task<Results<Ok<IReadOnlyList<BookmarkView>>, ValidationProblem>> ForIncidentAsync(
        HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken, string? incidentRef = null, string? reason = null)
    {
        if (string.IsNullOrWhiteSpace(incidentRef) || incidentRef.Length > 100)
        {
            return Problem.Invalid("incidentRef", "incidentRef is required (at most 100 characters); a camera's bookmarks are at /api/streaming/cameras/{cameraId}/bookmarks.");
        }

        var found = await session.Query<Bookmark>()
            .Where(b => b.IncidentRef == incidentRef)
            .OrderBy(b => b.Moment).Take(MaxItems).ToListAsync(cancellationToken);
        return await AnswerAsync(session, http, incidentRef, found, reason, time, cancellationToken);
    }

    private static async Task<Results<Ok<IReadOnlyList<BookmarkView>>, ValidationProblem>> AnswerAsync(
        IDocumentSession session, HttpContext http, string subject, IReadOnlyList<Bookmark> found, string? reason, TimeProvider time, CancellationToken cancellationToken)
    {
        PersonalDataReads.Record(session, http, "streaming", "bookmarks", subject, found.Count, reason, time.GetUtcNow());
        await session.SaveChangesAsync(cancellationToken);
        IReadOnlyList<BookmarkView> views = [.. found.Select(BookmarkView.Of)];
        return TypedResults.Ok(views);
    }
}
