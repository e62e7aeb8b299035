using System.Text.Json.Serialization;
using BodyCam.Integration.Feed;

namespace BodyCam.Integration.Webhooks;

/// <summary>
/// A CAD client's subscription: where to send, what, and the shared secret deliveries are signed
/// with (kept here only; never listed).
/// </summary>
public sealed record WebhookSubscription(
    string Id,
    string OwnerId,
    string Url,
    IReadOnlyList<string> Types,
    string? Command,
    string? OperationId,
    string? IncidentRef,
    string Secret,
    DateTimeOffset CreatedAt,
    bool Active = true,
    DateTimeOffset? RemovedAt = null)
{
    [JsonIgnore]
    public FeedFilter Filter => new(Types, Command, OperationId, IncidentRef);

    public static string StreamKey(string id) => $"webhook-{id}";
}

/// <summary>A subscription as its owner sees it: everything but the secret, with how its deliveries stand.</summary>
public sealed record WebhookView(
    string Id, string OwnerId, string Url, IReadOnlyList<string> Types, string? Command, string? OperationId, string? IncidentRef,
    DateTimeOffset CreatedAt, bool Active, DeliveryCounts? Deliveries = null, string? Secret = null)
{
    public static WebhookView Of(WebhookSubscription s, DeliveryCounts? counts = null, string? secret = null) =>
        new(s.Id, s.OwnerId, s.Url, s.Types, s.Command, s.OperationId, s.IncidentRef, s.CreatedAt, s.Active, counts, secret);
}

public sealed record DeliveryCounts(int Pending, int Delivered, int DeadLettered, string? LastError, DateTimeOffset? LastDeliveredAt);
