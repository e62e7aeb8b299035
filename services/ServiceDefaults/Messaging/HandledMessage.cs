namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>A message a consumer has already applied, kept in the consumer's own schema.</summary>
public sealed record HandledMessage(Guid Id, string MessageType, DateTimeOffset HandledAt);
