namespace BodyCam.Contracts.Access;

/// <summary>
/// Requests a service refused because their caller proved no identity (no token, or a forged, expired
/// or foreign one), counted per source address and reason over a window. An anonymous flood costs one
/// fact per source, reason and window, not one per request, and the record still shows it happened.
/// Refusals of callers who proved who they are stay individual <see cref="AccessRefused"/> facts.
/// </summary>
public sealed record UnverifiedAccessRefused(
    string Service,
    string? ClientAddress,
    string Reason,
    long Count,
    IReadOnlyList<string> ClaimedSubjects,
    IReadOnlyList<string> Paths,
    DateTimeOffset FirstAt,
    DateTimeOffset LastAt,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
