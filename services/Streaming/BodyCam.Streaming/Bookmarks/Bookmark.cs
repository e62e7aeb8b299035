using BodyCam.Contracts.Streaming;
using JasperFx.Events;

namespace BodyCam.Streaming.Bookmarks;

/// <summary>A moment of a camera's video a viewer marked for the evidence record, with their note.</summary>
public sealed record Bookmark(
    string Id,
    string BookmarkId,
    string CameraId,
    string ViewerId,
    string GrantId,
    string? IncidentRef,
    DateTimeOffset Moment,
    string Note,
    DateTimeOffset MarkedAt)
{
    public const int MaxNote = 1000;

    /// <summary>How far back a viewer may mark: what a live view can have shown (the player's buffer and a rewind).</summary>
    public static readonly TimeSpan LookBack = TimeSpan.FromMinutes(10);

    /// <summary>A camera's clock and the viewer's may differ a little; a moment further ahead is refused.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(5);

    public static string StreamKey(string bookmarkId) => $"bookmark-{bookmarkId}";

    public static Bookmark Create(IEvent<BookmarkMarked> e) =>
        new(e.StreamKey!, e.Data.BookmarkId, e.Data.CameraId, e.Data.ViewerId, e.Data.GrantId, e.Data.IncidentRef, e.Data.Moment, e.Data.Note, e.Data.OccurredAt);

    /// <summary>The mark to make, or why not: a moment a live view can have shown, a note a person can read.</summary>
    public static (BookmarkMarked? Marked, string? Field, string? Invalid) Mark(
        DateTimeOffset? moment, string? note, Live.ViewerPass pass, string bookmarkId, DateTimeOffset now, Guid correlationId)
    {
        if (moment is not { } at)
        {
            return (null, "at", "at is required: the moment of the video being marked (ISO 8601, the camera's clock).");
        }

        if (at > now + ClockSkew)
        {
            return (null, "at", "at is in the future: a bookmark marks video already seen.");
        }

        if (at < now - LookBack)
        {
            return (null, "at", $"at is more than {LookBack.TotalMinutes} minutes ago: a live bookmark marks what the live view showed.");
        }

        var text = note?.Trim() ?? "";
        if (text.Length > MaxNote)
        {
            return (null, "note", $"A note is at most {MaxNote} characters.");
        }

        if (text.Any(c => char.IsControl(c) && c != '\n'))
        {
            return (null, "note", "A note is plain text: no control characters but line breaks.");
        }

        return (new BookmarkMarked(bookmarkId, pass.CameraId, pass.ViewerId, pass.GrantId, pass.IncidentRef, at.ToUniversalTime(), text, pass.ViewerId, now, correlationId), null, null);
    }
}

/// <summary>A bookmark as the API answers it.</summary>
public sealed record BookmarkView(string BookmarkId, string CameraId, string ViewerId, string GrantId, string? IncidentRef, DateTimeOffset At, string Note, DateTimeOffset MarkedAt)
{
    public static BookmarkView Of(Bookmark b) => new(b.BookmarkId, b.CameraId, b.ViewerId, b.GrantId, b.IncidentRef, b.Moment, b.Note, b.MarkedAt);
}
