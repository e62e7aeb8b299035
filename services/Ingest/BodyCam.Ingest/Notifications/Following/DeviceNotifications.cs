using System.Collections.Concurrent;
using System.Threading.Channels;
using BodyCam.ServiceDefaults;

namespace BodyCam.Ingest.Notifications.Following;

/// <summary>
/// What a wearer's camera is told: someone started or stopped watching, Watch Me was acknowledged, a
/// viewer sent an instruction (<see cref="Id"/> is what the camera acknowledges) or marked a moment
/// (<see cref="Moment"/>, for the camera to mark its own recording); also <c>ready</c> when the feed
/// starts and <c>heartbeat</c> while nothing happens.
/// </summary>
public sealed record DeviceNotification(
    string Type, string CameraId, string ActorId, DateTimeOffset At, string? Note = null, string? ViewerId = null, string? Role = null, string? Purpose = null,
    string? Id = null, DateTimeOffset? Moment = null);

/// <summary>
/// The cameras connected to this ingest instance and a bounded queue for each. A camera that does
/// not read its feed loses the oldest notifications, never holds up the others.
/// </summary>
public sealed class DeviceNotifications(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, Channel<DeviceNotification>>> _listeners = new(StringComparer.Ordinal);

    public async IAsyncEnumerable<DeviceNotification> FollowAsync(string cameraId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<DeviceNotification>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        _listeners.GetOrAdd(cameraId, _ => new())[id] = channel;
        try
        {
            await foreach (var notification in EventFeeds.FollowAsync(
                channel.Reader,
                new DeviceNotification("ready", cameraId, "ingest", time.GetUtcNow()),
                () => new DeviceNotification("heartbeat", cameraId, "ingest", time.GetUtcNow()),
                time,
                cancellationToken))
            {
                yield return notification;
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
