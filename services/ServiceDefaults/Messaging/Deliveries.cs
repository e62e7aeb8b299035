using MassTransit;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>Where a fact stands in the orders a consumer keeps: the broker's delivery order and the publisher's.</summary>
public static class Deliveries
{
    /// <summary>The consumer's channel and the broker's number for this delivery on it, in delivery order.</summary>
    public static (string Channel, ulong Tag)? DeliveryOf(ConsumeContext context) =>
        context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery)
            ? (delivery.ConsumerTag, delivery.DeliveryTag)
            : null;

    /// <summary>The stream and sequence the publisher stamped on the fact (<c>IntegrationEventPublisher</c>).</summary>
    public static (string Stream, long Sequence)? OrderOf(ConsumeContext context) =>
        context.Headers.Get<string>(IntegrationEventHeaders.Stream) is { Length: > 0 } stream && context.Headers.Get<long>(IntegrationEventHeaders.Sequence) is { } sequence
            ? (stream, sequence)
            : null;
}
