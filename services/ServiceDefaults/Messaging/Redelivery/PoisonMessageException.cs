using System.Text.Json;

namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>
/// A message that can never be handled as it is (it breaks its contract): it goes straight to the
/// error queue instead of being redelivered. Throw it only for a fault in the message, never for one
/// in a dependency.
/// </summary>
public sealed class PoisonMessageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Which faults are in the message itself, so that no wait will mend them.</summary>
public static class PoisonMessages
{
    public static bool Is(Exception e) => e switch
    {
        PoisonMessageException or JsonException or FormatException or ArgumentException or InvalidCastException => true,
        AggregateException { InnerExceptions.Count: > 0 } all => all.InnerExceptions.All(Is),
        _ => false,
    };
}
