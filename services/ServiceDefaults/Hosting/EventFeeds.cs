using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace BodyCam.ServiceDefaults;

/// <summary>
/// How every server-sent event feed behaves: a <c>ready</c> item as soon as it is listening (so the
/// response starts at once), then each item as it comes, and a heartbeat while nothing does, so
/// proxies never close an idle feed.
/// </summary>
public static class EventFeeds
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The feed of what <paramref name="reader"/> brings, until its writer completes (with an error,
    /// the feed ends with it) or the caller stops reading; the heartbeat's interval on <paramref name="time"/>.
    /// </summary>
    public static async IAsyncEnumerable<T> FollowAsync<T>(
        ChannelReader<T> reader, T ready, Func<T> heartbeat, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return ready;
        while (true)
        {
            using var quiet = new CancellationTokenSource(HeartbeatInterval, time);
            using var beat = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, quiet.Token);
            bool? more;
            try
            {
                more = await reader.WaitToReadAsync(beat.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                more = null;
            }

            if (more is null)
            {
                yield return heartbeat();
                continue;
            }

            if (more == false)
            {
                yield break;
            }

            while (reader.TryRead(out var item))
            {
                yield return item;
            }
        }
    }
}
