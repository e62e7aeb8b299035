namespace BodyCam.Integration.Feed;

/// <summary>Wakes whoever waits for new feed items (the dispatcher, live feed readers) once items are committed.</summary>
public sealed class FeedSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes at the next pulse, or after <paramref name="atMost"/> (readers also look on their own).</summary>
    public async Task WaitAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref _next).Task.WaitAsync(atMost, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }
}
