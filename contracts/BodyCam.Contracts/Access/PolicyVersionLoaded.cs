namespace BodyCam.Contracts.Access;

/// <summary>
/// Authorisation began deciding views by a policy version it had not used before (its file changed,
/// or a first start): what the rules were from then on is on the record. <see cref="Version"/> is
/// the first 12 hex digits of the file's SHA-256, as each decision names it.
/// </summary>
public sealed record PolicyVersionLoaded(
    string Version,
    string? PreviousVersion,
    IReadOnlyList<string> Purposes,
    IReadOnlyList<string> ExcludedPurposes,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
