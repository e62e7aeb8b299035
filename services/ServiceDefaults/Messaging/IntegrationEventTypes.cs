using BodyCam.Contracts;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>Every integration event type in the contracts.</summary>
public static class IntegrationEventTypes
{
    public static readonly IReadOnlyList<Type> All =
    [
        .. typeof(IIntegrationEvent).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IIntegrationEvent).IsAssignableFrom(t)),
    ];
}
