namespace BodyCam.Contracts;

/// <summary>
/// A fact one service tells the others. Every integration event says who acted (a person, a device
/// or a system), when it happened, and the correlation that ties it to the request that caused it.
/// Changes are additive only; a breaking change is a new type.
/// </summary>
public interface IIntegrationEvent
{
    string ActorId { get; }

    DateTimeOffset OccurredAt { get; }

    Guid CorrelationId { get; }
}
