namespace BodyCam.Contracts.Integration;

/// <summary>
/// A webhook delivery failed every attempt and was set aside in the subscription's dead-letter list,
/// from where its owner can replay it. <see cref="Seq"/> is the event's place in the integration feed.
/// </summary>
public sealed record WebhookDeliveryDeadLettered(
    string SubscriptionId,
    long Seq,
    string EventId,
    string EventType,
    int Attempts,
    string Error,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
