namespace BodyCam.Contracts.Integration;

/// <summary>
/// An integrator (a CAD system) subscribed a URL to BodyCam's facts: which types, narrowed to a
/// command, an operation or an incident. The shared secret never leaves the integration service.
/// </summary>
public sealed record WebhookSubscribed(
    string SubscriptionId,
    string OwnerId,
    string Url,
    IReadOnlyList<string> Types,
    string? Command,
    string? OperationId,
    string? IncidentRef,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
