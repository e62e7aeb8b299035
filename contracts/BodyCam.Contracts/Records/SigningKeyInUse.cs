namespace BodyCam.Contracts.Records;

/// <summary>
/// A service began signing with a key it had not used before (a first start, or a rotation): which
/// key signs what, from when, is on the record. <see cref="KeyId"/> names the public key as the
/// service publishes it (a JWKS kid, a signed-note verifier key); the private key never leaves the service.
/// </summary>
public sealed record SigningKeyInUse(
    string Service,
    string Purpose,
    string KeyId,
    string? PreviousKeyId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
