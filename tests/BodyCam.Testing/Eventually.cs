namespace BodyCam.Testing;

/// <summary>Waits for asynchronous work by polling what a user would observe, within a bound.</summary>
public static class Eventually
{
    public static async Task<T> Async<T>(Func<Task<T?>> probe, TimeSpan? timeout = null, string? what = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await probe();
            if (result is not null)
            {
                return result;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for {what ?? "the expected outcome"} after {timeout ?? TimeSpan.FromSeconds(30)}.");
            }

            await Task.Delay(100);
        }
    }
}
