using BodyCam.Integration.Feed;

namespace BodyCam.Integration.Webhooks.Delivering;

/// <summary>
/// One feed event owed to one subscription: pending until the receiver takes it (2xx), or set aside
/// as dead-lettered when every attempt failed, with why. Replaying makes it pending again.
/// </summary>
public sealed record Delivery(
    string Id,
    string SubscriptionId,
    long Seq,
    string EventId,
    string EventType,
    string State,
    int Attempts = 0,
    string? LastError = null,
    DateTimeOffset? DeliveredAt = null,
    DateTimeOffset? DeadLetteredAt = null)
{
    public const string PendingState = "pending";
    public const string DeliveredState = "delivered";
    public const string DeadLetteredState = "dead-lettered";
    public const string CancelledState = "cancelled";

    public static Delivery Pending(string subscriptionId, FeedItem item) =>
        new($"{subscriptionId}:{item.Id:D19}", subscriptionId, item.Id, item.EventId, item.Type, PendingState);
}
