namespace BodyCam.Contracts.Operations;

/// <summary>
/// A named area of interest (a football match, a protest, a pursuit) was opened on the map.
/// <see cref="Area"/> is a closed ring of [lon, lat] positions, as in GeoJSON.
/// </summary>
public sealed record OperationOpened(
    string OperationId,
    string Name,
    string Kind,
    IReadOnlyList<double[]> Area,
    string? IncidentRef,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
