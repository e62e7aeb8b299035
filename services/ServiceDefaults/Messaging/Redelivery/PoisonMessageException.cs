namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>
/// A message that can never be handled as it is (it breaks its contract): it goes straight to the
/// error queue instead of being redelivered. Throw it only for a fault in the message, never for one
/// in a dependency.
/// </summary>
public sealed class PoisonMessageException(string message, Exception? inner = null) : Exception(message, inner);
