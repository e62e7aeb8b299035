using BodyCam.Location.Operations;
using MassTransit;

namespace BodyCam.Location.Map.Sharing;

/// <summary>Applies another location instance's map changes to this one's map.</summary>
public sealed class MapChangedConsumer(LiveMap map, OperationAreas areas, LocationInstance instance) : IConsumer<MapChanged>
{
    public Task Consume(ConsumeContext<MapChanged> context)
    {
        var changed = context.Message;
        if (changed.Origin == instance.Id)
        {
            // Applied when it was made.
            return Task.CompletedTask;
        }

        foreach (var operation in changed.OperationsOpened)
        {
            areas.Add(operation);
        }

        foreach (var fact in changed.Facts)
        {
            fact.ApplyTo(map);
        }

        return Task.CompletedTask;
    }
}

public static class MapSharing
{
    /// <summary>
    /// A queue of this instance's own, bound to the map changes' fan-out exchange and removed when
    /// the instance stops; taken one message at a time, so changes apply in the order they were passed on.
    /// </summary>
    public static void AddMapSharing(this IBusRegistrationConfigurator bus, LocationInstance instance) =>
        bus.AddConsumer<MapChangedConsumer>().Endpoint(e =>
        {
            e.Name = instance.Queue;
            e.ConcurrentMessageLimit = 1;
            e.PrefetchCount = 64;
            e.AddConfigureEndpointCallback(c =>
            {
                if (c is IRabbitMqReceiveEndpointConfigurator queue)
                {
                    // Gone with the instance: nothing waits in it for an instance that is not coming back.
                    queue.Durable = false;
                    queue.AutoDelete = true;
                }
            });
        });
}
