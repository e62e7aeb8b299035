using BodyCam.Streaming.Media;

namespace BodyCam.Streaming.Live;

/// <summary>Who is watching, on which grant, until when; as a verified stream token names them.</summary>
public sealed record ViewerPass(string ViewerId, string GrantId, string CameraId, string Purpose, DateTimeOffset ExpiresAt, string? IncidentRef = null);

/// <summary>Why a viewer session ended, as its <c>ViewerSessionEnded</c> event says.</summary>
public static class EndReasons
{
    public const string GrantRevoked = "grant-revoked";
    public const string GrantExpired = "grant-expired";
    public const string RecordingStopped = "recording-stopped";
    public const string StreamEnded = "stream-ended";
    public const string TooSlow = "viewer-too-slow";
    public const string ViewerLeft = "viewer-left";
    public const string ServiceStopping = "service-stopping";
}

/// <summary>
/// One viewer watching one camera on one grant: over a WebSocket (with its own bounded queue of
/// fragments) or over LL-HLS (a run of requests on the same grant). Ending it is immediate and
/// happens once: the first reason given is the one recorded.
/// </summary>
public abstract class ViewerSession(ViewerPass pass, string clientAddress, DateTimeOffset startedAt)
{
    private readonly CancellationTokenSource _ended = new();
    private readonly CancellationTokenSource _aborted = new();
    private string? _endReason;
    private long _bytes;
    private long _deadlineTicks = pass.ExpiresAt.UtcTicks;

    public string SessionId { get; } = Guid.CreateVersion7().ToString("N");

    public ViewerPass Pass { get; } = pass;

    public string ClientAddress { get; } = clientAddress;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public abstract string Transport { get; }

    /// <summary>When the grant behind it ends unless renewed; an extension moves it.</summary>
    public DateTimeOffset Deadline => new(Interlocked.Read(ref _deadlineTicks), TimeSpan.Zero);

    public long Bytes => Interlocked.Read(ref _bytes);

    public string? EndReason => Volatile.Read(ref _endReason);

    /// <summary>Words for the viewer beside the reason (a revocation's stated reason, for example).</summary>
    public string? EndDetail { get; private set; }

    /// <summary>Cancelled when the session ends, to stop any wait in progress.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>
    /// Cancelled to break off a send in progress: at once for a viewer too slow to keep up, otherwise
    /// a second after the end, so a viewer who is reading gets the close frame and its reason.
    /// </summary>
    public CancellationToken Aborted => _aborted.Token;

    public void Extend(DateTimeOffset until) => Interlocked.Exchange(ref _deadlineTicks, until.UtcTicks);

    public void Count(long bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>Ends the session for <paramref name="reason"/>; returns false when it had already ended.</summary>
    public bool End(string reason, string? detail = null)
    {
        if (Interlocked.CompareExchange(ref _endReason, reason, null) is not null)
        {
            return false;
        }

        EndDetail = detail;
        OnEnding();
        _ended.Cancel();
        if (reason == EndReasons.TooSlow)
        {
            _aborted.Cancel();
        }
        else
        {
            _aborted.CancelAfter(TimeSpan.FromSeconds(1));
        }

        return true;
    }

    protected virtual void OnEnding()
    {
    }
}

/// <summary>
/// A WebSocket viewer. The stream offers it every fragment; it queues a reference (no copy) up to
/// its bound and is ended, never waited for, when it falls behind.
/// </summary>
public sealed class WebSocketViewer : ViewerSession
{
    private readonly FragmentQueue _queue;
    private readonly int _maxQueuedBytes;
    private long _queuedBytes;

    public WebSocketViewer(ViewerPass pass, string clientAddress, DateTimeOffset startedAt, int maxQueuedFragments, int maxQueuedBytes)
        : base(pass, clientAddress, startedAt)
    {
        _maxQueuedBytes = maxQueuedBytes;
        _queue = new FragmentQueue(maxQueuedFragments);
    }

    public override string Transport => "websocket";

    /// <summary>What the sender reads: it waits on the queue and takes fragments off it.</summary>
    public FragmentQueue Queue => _queue;

    /// <summary>
    /// For a viewer that rewound: the fragments from the moment asked for up to where it joined live,
    /// retained for it, written before anything in <see cref="Queue"/> (not bounded by it: they are
    /// what the viewer asked to see, not a backlog of a slow reader).
    /// </summary>
    public IReadOnlyList<Fragment>? Backlog { get; set; }

    /// <summary>
    /// Queues a fragment (the caller's reference passes to the queue); false when the viewer is too
    /// far behind. The caller calls <see cref="Wake"/> once it holds no lock.
    /// </summary>
    public bool Offer(Fragment fragment)
    {
        if (EndReason is null
            && Interlocked.Read(ref _queuedBytes) + fragment.Length <= _maxQueuedBytes
            && _queue.TryWrite(fragment))
        {
            Interlocked.Add(ref _queuedBytes, fragment.Length);
            return true;
        }

        fragment.Release();
        return false;
    }

    /// <summary>Lets the sender go on with what was offered (on this thread, when it was waiting).</summary>
    public void Wake() => _queue.Wake();

    /// <summary>Called by the sender once a fragment taken from the queue is written.</summary>
    public void Sent(Fragment fragment)
    {
        Interlocked.Add(ref _queuedBytes, -fragment.Length);
        Count(fragment.Length);
        fragment.Release();
    }

    protected override void OnEnding()
    {
        // A rewind not yet written is released by the sender, which owns it.
        _queue.Complete();
        // What the sender will not send goes back to the pool now.
        while (_queue.TryRead(out var left))
        {
            Interlocked.Add(ref _queuedBytes, -left.Length);
            left.Release();
        }
    }
}

/// <summary>An LL-HLS viewer: requests on the same grant, ended after a pause with no request.</summary>
public sealed class HlsViewer(ViewerPass pass, string clientAddress, DateTimeOffset startedAt) : ViewerSession(pass, clientAddress, startedAt)
{
    private long _lastSeenTicks = startedAt.UtcTicks;

    public override string Transport => "ll-hls";

    /// <summary>
    /// The short-lived key the playlist writes into its part and segment addresses instead of the
    /// stream token: it opens this session's media only, and only while the session lasts.
    /// </summary>
    public string Key { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    public DateTimeOffset LastSeen => new(Interlocked.Read(ref _lastSeenTicks), TimeSpan.Zero);

    public void Seen(DateTimeOffset at) => Interlocked.Exchange(ref _lastSeenTicks, at.UtcTicks);
}
