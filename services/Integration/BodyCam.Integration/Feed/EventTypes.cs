namespace BodyCam.Integration.Feed;

/// <summary>
/// The CloudEvents types BodyCam sends out. Which facts go out, and with what detail, is a choice
/// (docs/extending.md): never stream tokens, positions throttled, viewers only where policy allows.
/// </summary>
public static class EventTypes
{
    private const string Prefix = "uk.police.bodycam.";

    public const string RecordingStarted = Prefix + "recording.started";
    public const string RecordingStopped = Prefix + "recording.stopped";
    public const string WatchMeRequested = Prefix + "watchme.requested";
    public const string WatchMeAcknowledged = Prefix + "watchme.acknowledged";
    public const string StreamLive = Prefix + "stream.live";
    public const string StreamEnded = Prefix + "stream.ended";
    public const string OfficerPosition = Prefix + "officer.position";
    public const string CameraAssigned = Prefix + "camera.assigned";
    public const string CameraDocked = Prefix + "camera.docked";
    public const string OperationOpened = Prefix + "operation.opened";
    public const string OperationEntered = Prefix + "operation.entered";
    public const string OperationLeft = Prefix + "operation.left";
    public const string ViewerStarted = Prefix + "viewer.started";
    public const string ViewerEnded = Prefix + "viewer.ended";
    public const string BookmarkMarked = Prefix + "bookmark.marked";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        RecordingStarted, RecordingStopped, WatchMeRequested, WatchMeAcknowledged, StreamLive, StreamEnded, OfficerPosition,
        CameraAssigned, CameraDocked, OperationOpened, OperationEntered, OperationLeft, ViewerStarted, ViewerEnded,
        BookmarkMarked,
    };
}
