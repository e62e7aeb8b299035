using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>
/// How a service takes the facts it keeps: one queue for a group of <see cref="IdempotentConsumer{TMessage}"/>s,
/// many messages in flight so the service's <see cref="FactWriter"/> stores them a batch at a time.
/// </summary>
/// <remarks>
/// Order: RabbitMQ delivers a queue in the order it was published, but messages handled side by side
/// reach the writer a little out of it; the writer puts them back in delivery order
/// (<see cref="DeliveryOrder{T}"/>), so a camera's several facts can share a batch in order (the
/// identity map gives each the document the one before it changed). No partition per camera: it held
/// a busy camera to one fact per transaction (ingest: 8 facts a batch, 160 a second, under the
/// authorisation benchmark) and did not give order either.
/// </remarks>
public static class FactEndpoints
{
    /// <summary>Messages being handled at once on one endpoint: the most one batch can take from it.</summary>
    public const int InFlight = 256;

    public static IBusRegistrationConfigurator AddFactEndpoint(this IBusRegistrationConfigurator bus, string name, params Type[] consumers)
    {
        bus.TryAddSingleton<FactWriter>();
        bus.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FactWriter>(sp => sp.GetRequiredService<FactWriter>()));
        foreach (var consumer in consumers)
        {
            bus.AddConsumer(consumer).Endpoint(e =>
            {
                e.Name = name;
                e.ConcurrentMessageLimit = InFlight;
                // Room for the next batch to arrive while one is being stored.
                e.PrefetchCount = InFlight * 2;
            });
        }

        return bus;
    }
}
