namespace BodyCam.Contracts.Integration;

/// <summary>A webhook subscription was removed by its owner or an admin; nothing more is sent to it.</summary>
public sealed record WebhookRemoved(
    string SubscriptionId,
    string OwnerId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
