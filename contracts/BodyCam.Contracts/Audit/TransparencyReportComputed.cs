namespace BodyCam.Contracts.Audit;

/// <summary>
/// Audit computed the public transparency report for <see cref="Period"/> (a month, <c>yyyy-MM</c>)
/// from the chain as it stood at entry <see cref="CheckpointSeq"/>, for a preview or to publish it.
/// <see cref="FiguresSha256"/> is the hash of the figures as published, so a copy can be tied to this fact.
/// </summary>
public sealed record TransparencyReportComputed(
    string Period,
    bool Published,
    long CheckpointSeq,
    string? CheckpointHash,
    string FiguresSha256,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
