namespace BodyCam.Contracts.Records;

/// <summary>An administrator sent messages from a service's error queue back to be handled again.</summary>
public sealed record DeadLettersReplayed(
    string Service,
    string Queue,
    int Count,
    IReadOnlyList<string> MessageIds,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
