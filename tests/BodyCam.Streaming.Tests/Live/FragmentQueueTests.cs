using BodyCam.Streaming.Live;
using BodyCam.Streaming.Media;
using Xunit;

namespace BodyCam.Streaming.Tests.Live;

public sealed class FragmentQueueTests
{
    private static readonly Fragment[] Fragments = [.. Enumerable.Range(0, 8).Select(i => Make(i))];

    [Fact]
    public async Task A_waiting_sender_runs_on_the_thread_that_wakes_it_and_reads_what_was_written()
    {
        var queue = new FragmentQueue(4);
        var read = new List<(Fragment Fragment, int Thread)>();
        // The sender reaches its wait before Loop returns: nothing is queued yet.
        var sender = WithoutContext(() => Loop(queue, fragment => read.Add((fragment, Environment.CurrentManagedThreadId))));
        Assert.Empty(read);

        var waker = new Thread(() =>
        {
            Assert.True(queue.TryWrite(Fragments[0]));
            Assert.True(queue.TryWrite(Fragments[1]));
            queue.Wake();
        });
        waker.Start();
        waker.Join();

        Assert.Equal([(Fragments[0], waker.ManagedThreadId), (Fragments[1], waker.ManagedThreadId)], read);
        queue.Complete();
        await sender.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_full_queue_refuses_and_a_completed_one_takes_nothing()
    {
        var queue = new FragmentQueue(2);

        Assert.True(queue.TryWrite(Fragments[0]));
        Assert.True(queue.TryWrite(Fragments[1]));
        Assert.False(queue.TryWrite(Fragments[2]));
        Assert.True(queue.TryRead(out var first));
        Assert.Same(Fragments[0], first);
        queue.Complete();
        Assert.False(queue.TryWrite(Fragments[3]));
        Assert.True(queue.TryRead(out var second));
        Assert.Same(Fragments[1], second);
        Assert.False(queue.TryRead(out _));
    }

    [Fact]
    public async Task The_end_wakes_a_waiting_sender_with_nothing_to_read()
    {
        var queue = new FragmentQueue(2);
        var waiting = queue.WaitToReadAsync();

        queue.Complete();

        Assert.False(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Writing_waking_and_reading_a_fragment_for_a_waiting_sender_allocates_nothing()
    {
        var queue = new FragmentQueue(4);
        var rounds = 0;
        var (sender, allocated) = await Task.Run(() =>
        {
            var sender = Loop(queue, _ => rounds++);
            Write(queue, Fragments[0]);   // the first round runs the JIT and the sender's first wait

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                Write(queue, Fragments[i % Fragments.Length]);
            }

            return (sender, GC.GetAllocatedBytesForCurrentThread() - before);
        });
        Assert.Equal(10_001, rounds);
        Assert.True(allocated < 10_000, $"{allocated} bytes for 10,000 fragments");
        queue.Complete();
        await sender.WaitAsync(TimeSpan.FromSeconds(10));

        static void Write(FragmentQueue queue, Fragment fragment)
        {
            Assert.True(queue.TryWrite(fragment));
            queue.Wake();
        }
    }

    /// <summary>
    /// Starts <paramref name="start"/> with no synchronization context, as in the service (the test
    /// runner's own context would post every continuation to it instead of running it inline).
    /// </summary>
    private static Task WithoutContext(Func<Task> start)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return start();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>A viewer's sender as the relay runs it: wait, then take everything queued.</summary>
    private static async Task Loop(FragmentQueue queue, Action<Fragment> read)
    {
        while (await queue.WaitToReadAsync())
        {
            while (queue.TryRead(out var fragment))
            {
                read(fragment);
            }
        }
    }

    private static Fragment Make(int sequence) =>
        new(new byte[Fragment.HeaderRoom + 100], 100, (uint)sequence, startsWithKeyframe: true, TimeSpan.FromMilliseconds(200), receivedTimestamp: 0);
}
