namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>Headers every published fact carries: where it came from, so consumers can keep a stream's order.</summary>
public static class IntegrationEventHeaders
{
    /// <summary>The event stream (subject) the fact was appended to in its service's store.</summary>
    public const string Stream = "BodyCam-Stream";

    /// <summary>The fact's sequence in its service's store: a stream's facts increase in it.</summary>
    public const string Sequence = "BodyCam-Sequence";
}
