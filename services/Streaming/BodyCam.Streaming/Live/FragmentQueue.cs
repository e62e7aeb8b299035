using System.Threading.Tasks.Sources;
using BodyCam.Streaming.Media;

namespace BodyCam.Streaming.Live;

/// <summary>
/// One WebSocket viewer's bounded queue of fragments: a ring the stream writes into and the
/// viewer's sender reads from, with one reusable wait, so queuing and waking cost no allocation.
/// <para>
/// The writer never wakes the reader itself (it writes under the stream's lock):
/// <see cref="Wake"/>, called after the lock is released, runs the waiting sender on the calling
/// thread, which then writes to the viewer's socket at once (as the floor relay's single thread does).
/// The end wakes it on the thread pool instead, since the end may come from inside a lock.
/// </para>
/// </summary>
public sealed class FragmentQueue : IValueTaskSource<bool>
{
    private readonly Lock _gate = new();
    private readonly Fragment?[] _items;
    private ManualResetValueTaskSourceCore<bool> _wait;
    private int _head;
    private int _count;
    private bool _completed;
    private bool _waiting;

    public FragmentQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new Fragment?[capacity];
    }

    public int Count { get { lock (_gate) { return _count; } } }

    /// <summary>Queues a fragment; false when full or completed (the caller keeps its reference).</summary>
    public bool TryWrite(Fragment fragment)
    {
        lock (_gate)
        {
            if (_completed || _count == _items.Length)
            {
                return false;
            }

            _items[(_head + _count) % _items.Length] = fragment;
            _count++;
            return true;
        }
    }

    public bool TryRead(out Fragment fragment)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                fragment = null!;
                return false;
            }

            fragment = _items[_head]!;
            _items[_head] = null;
            _head = (_head + 1) % _items.Length;
            _count--;
            return true;
        }
    }

    /// <summary>True when something can be read; false once completed and empty. One reader at a time.</summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _wait.Reset();
            _waiting = true;
            return new ValueTask<bool>(this, _wait.Version);
        }
    }

    /// <summary>Resumes a waiting reader on this thread when there is something to read.</summary>
    public void Wake()
    {
        lock (_gate)
        {
            if (!_waiting || _count == 0)
            {
                return;
            }

            _waiting = false;
        }

        _wait.SetResult(true);
    }

    /// <summary>Nothing more will be written; a waiting reader is resumed on the thread pool.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static queue => queue._wait.SetResult(queue.Count > 0), this, preferLocal: false);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _wait.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);
}
