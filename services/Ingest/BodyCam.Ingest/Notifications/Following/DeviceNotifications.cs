using System.Collections.Concurrent;
using System.Threading.Channels;

namespace BodyCam.Ingest.Notifications.Following;

/// <summary>
/// What a wearer's camera is told: someone started or stopped watching, Watch Me was acknowledged;
/// also <c>ready</c> when the feed starts and <c>heartbeat</c> while nothing happens.
/// </summary>
public sealed record DeviceNotification(string Type, string CameraId, string ActorId, DateTimeOffset At, string? Note = null, string? ViewerId = null, string? Role = null, string? Purpose = null);

/// <summary>
/// The cameras connected to this ingest instance and a bounded queue for each. A camera that does
/// not read its feed loses the oldest notifications, never holds up the others.
/// </summary>
public sealed class DeviceNotifications
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, Channel<DeviceNotification>>> _listeners = new(StringComparer.Ordinal);

    public async IAsyncEnumerable<DeviceNotification> FollowAsync(string cameraId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<DeviceNotification>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        _listeners.GetOrAdd(cameraId, _ => new())[id] = channel;
        try
        {
            yield return new DeviceNotification("ready", cameraId, "ingest", DateTimeOffset.UtcNow);
            while (true)
            {
                // A heartbeat while nothing happens keeps proxies from closing an idle feed.
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                beat.CancelAfter(HeartbeatInterval);
                bool? more;
                try
                {
                    more = await channel.Reader.WaitToReadAsync(beat.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    more = null;
                }

                if (more is null)
                {
                    yield return new DeviceNotification("heartbeat", cameraId, "ingest", DateTimeOffset.UtcNow);
                    continue;
                }

                if (more == false)
                {
                    yield break;
                }

                while (channel.Reader.TryRead(out var notification))
                {
                    yield return notification;
                }
            }
        }
        finally
        {
            if (_listeners.TryGetValue(cameraId, out var forCamera))
            {
                forCamera.TryRemove(id, out _);
            }
        }
    }

    public void Notify(DeviceNotification notification)
    {
        if (_listeners.TryGetValue(notification.CameraId, out var forCamera))
        {
            foreach (var channel in forCamera.Values)
            {
                channel.Writer.TryWrite(notification);
            }
        }
    }

    public int Listening(string cameraId) => _listeners.TryGetValue(cameraId, out var forCamera) ? forCamera.Count : 0;
}
