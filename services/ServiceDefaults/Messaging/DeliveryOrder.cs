using System.Threading.Channels;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>
/// Puts messages back in the order the broker delivered them. RabbitMQ numbers the deliveries on a
/// consumer's channel 1, 2, 3…; messages handled side by side reach the writer a little out of that
/// order. A message is released once every earlier delivery on its channel has been released, or,
/// for a delivery that never comes (a message that failed before reaching the writer), once the gap
/// has lasted <see cref="GapWait"/>. A delivery older than what was released (a retry) goes at once.
/// </summary>
public sealed class DeliveryOrder<T>(TimeProvider time)
    where T : class
{
    public static readonly TimeSpan GapWait = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    public bool Waiting => _lanes.Values.Any(l => l.Held.Count > 0);

    /// <summary>
    /// A writer's turn: when nothing is <paramref name="ready"/>, waits for the queue (or, while a gap
    /// holds messages back, at most 10 ms) and then <paramref name="collect"/> more for whatever is
    /// delivered right behind; then takes everything queued into order and adds what may go to
    /// <paramref name="ready"/>.
    /// </summary>
    public async Task TakeAsync(ChannelReader<T> queue, Func<T, (string Channel, ulong Tag)?> delivery, List<T> ready, TimeSpan collect, CancellationToken cancellationToken)
    {
        if (ready.Count == 0)
        {
            if (Waiting)
            {
                await Task.WhenAny(queue.WaitToReadAsync(cancellationToken).AsTask(), Task.Delay(TimeSpan.FromMilliseconds(10), time, cancellationToken));
            }
            else
            {
                await queue.WaitToReadAsync(cancellationToken);
            }

            if (collect > TimeSpan.Zero)
            {
                await Task.Delay(collect, time, cancellationToken);
            }
        }

        while (queue.TryRead(out var item))
        {
            var delivered = delivery(item);
            Add(item, delivered?.Channel, delivered?.Tag ?? 0, ready);
        }

        ReleaseOverdue(ready);
    }

    /// <summary>Takes a message delivered as <paramref name="delivery"/> on <paramref name="channel"/> (null: no order to keep).</summary>
    public void Add(T item, string? channel, ulong delivery, List<T> released)
    {
        if (channel is null)
        {
            released.Add(item);
            return;
        }

        if (!_lanes.TryGetValue(channel, out var lane))
        {
            lane = new Lane { Next = 1 };
            _lanes[channel] = lane;
        }

        if (delivery < lane.Next)
        {
            released.Add(item);
            return;
        }

        lane.Held[delivery] = item;
        Release(lane, released);
    }

    /// <summary>Releases what a gap held back longer than <see cref="GapWait"/>.</summary>
    public void ReleaseOverdue(List<T> released)
    {
        foreach (var lane in _lanes.Values)
        {
            Release(lane, released);
        }
    }

    /// <summary>
    /// Sorts each stream's messages in <paramref name="batch"/> by the publisher's sequence, each
    /// keeping the places its stream's messages had (other messages stay where they are).
    /// </summary>
    public static void InStreamOrder(List<T> batch, Func<T, (string Stream, long Sequence)?> order)
    {
        foreach (var stream in batch.Select((p, i) => (p, i)).Where(x => order(x.p) is not null).GroupBy(x => order(x.p)!.Value.Stream, StringComparer.Ordinal))
        {
            var places = stream.Select(x => x.i).ToArray();
            var inOrder = stream.Select(x => x.p).OrderBy(p => order(p)!.Value.Sequence).ToArray();
            for (var k = 0; k < places.Length; k++)
            {
                batch[places[k]] = inOrder[k];
            }
        }
    }

    private void Release(Lane lane, List<T> released)
    {
        while (lane.Held.Count > 0)
        {
            var (first, item) = (lane.Held.Keys[0], lane.Held.Values[0]);
            if (first != lane.Next)
            {
                var now = time.GetUtcNow();
                lane.GapSince ??= now;
                if (now - lane.GapSince < GapWait)
                {
                    return;
                }
            }

            lane.Held.RemoveAt(0);
            lane.Next = first + 1;
            lane.GapSince = null;
            released.Add(item);
        }
    }

    private sealed class Lane
    {
        public ulong Next { get; set; }

        public DateTimeOffset? GapSince { get; set; }

        public SortedList<ulong, T> Held { get; } = [];
    }
}
