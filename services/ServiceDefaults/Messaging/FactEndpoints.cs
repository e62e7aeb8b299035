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
/// Order: RabbitMQ delivers a queue's messages in the order they were published, and each one's way
/// from delivery to the writer's queue does no I/O, so facts reach the writer, and are applied, in
/// that order, a camera's several facts in one batch if they came together (the writer's identity
/// map gives each the document the one before it changed). A message that fails and is retried is
/// overtaken by the ones behind it, as it was when a partition per camera held each camera's next
/// fact until the last was committed; that partitioning also held a busy camera to one fact per
/// transaction (measured: ingest stored 8 facts a batch, 160 a second, under the authorisation benchmark).
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
