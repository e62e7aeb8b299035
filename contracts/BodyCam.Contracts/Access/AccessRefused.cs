namespace BodyCam.Contracts.Access;

/// <summary>
/// An authenticated caller asked a service for something their roles do not allow, and was refused.
/// </summary>
public sealed record AccessRefused(
    string Service,
    string Method,
    string Path,
    IReadOnlyList<string> Roles,
    string Reason,
    string? ClientAddress,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
