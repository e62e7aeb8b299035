namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>
/// <c>Messaging:Redelivery:*</c>. A message whose handling fails is first tried again at once a few
/// times (<see cref="Immediate"/>, a passing fault); then it waits in a delay queue for each of
/// <see cref="Delays"/> in turn (the last repeats) and comes back, until <see cref="GiveUpAfter"/> has
/// passed since it first failed. Only then, or at once for a message that can never succeed, does it
/// go to the endpoint's error queue, where health, a metric, the log and the admin route show it.
/// </summary>
public sealed class DelayedRedeliveryOptions
{
    /// <summary>Tries at once, each after <see cref="ImmediateInterval"/> doubled.</summary>
    public int Immediate { get; set; } = 3;

    public TimeSpan ImmediateInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The waits in the delay queues, in order; the last repeats. Default 5 s, 15 s, 30 s, 1 min, 2 min, 5 min.</summary>
    public List<TimeSpan> Delays { get; set; } = [];

    /// <summary>How long after the first failure a message is still redelivered: longer than an outage of PostgreSQL or a dependency lasts.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the error queues are counted for health and metrics.</summary>
    public TimeSpan WatchEvery { get; set; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<TimeSpan> EffectiveDelays =>
        Delays.Count > 0 ? Delays : [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5)];

    /// <summary>The wait before delivery number <paramref name="redelivery"/> (1 for the first redelivery).</summary>
    public TimeSpan DelayFor(int redelivery)
    {
        var delays = EffectiveDelays;
        return delays[Math.Clamp(redelivery - 1, 0, delays.Count - 1)];
    }
}
