using BodyCam.ServiceDefaults.Messaging.Redelivery;
using Marten;
using MassTransit;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>
/// A consumer whose effect happens once per message id, however often the broker delivers it.
/// The service's <see cref="FactWriter"/> stores the effect and the handled id in the same
/// transaction, with whatever other facts arrived meanwhile: either both are saved or neither.
/// Two deliveries racing each other collide on the id's primary key; the loser is retried and then
/// finds the message handled.
/// </summary>
public abstract class IdempotentConsumer<TMessage>(FactWriter writer) : IConsumer<TMessage>
    where TMessage : class
{
    public Task Consume(ConsumeContext<TMessage> context)
    {
        if (!ShouldHandle(context.Message))
        {
            return PassAsync(context);
        }

        var messageId = context.MessageId
            ?? throw new PoisonMessageException($"{typeof(TMessage).Name} arrived without a message id; it cannot be de-duplicated.");
        return writer.WriteAsync(messageId, typeof(TMessage).Name, session => Handle(context, session), () => Committed(context), Alone, Deliveries.OrderOf(context), Loads(context.Message), Deliveries.DeliveryOf(context), context.CancellationToken);
    }

    /// <summary>Tells the writer this delivery stores nothing, so the ones behind it need not wait for it.</summary>
    private Task PassAsync(ConsumeContext<TMessage> context) => writer.PassAsync(Deliveries.DeliveryOf(context), context.CancellationToken);

    /// <summary>
    /// False for a message this consumer passes over without a trace: nothing is stored, not even the
    /// handled id (passing it over again on a redelivery changes nothing either), and the deliveries
    /// behind it do not wait for it.
    /// </summary>
    protected virtual bool ShouldHandle(TMessage message) => true;

    /// <summary>
    /// True for a message whose handling queries across subjects (every camera, every area): it is
    /// stored in a transaction of its own, so its queries see everything stored before it.
    /// </summary>
    protected virtual bool Alone => false;

    /// <summary>
    /// The document the handler loads first, if any: the writer loads a whole batch's in one query
    /// before handling it, so each handler finds its document without a round trip of its own.
    /// </summary>
    protected virtual DocumentKey? Loads(TMessage message) => null;

    /// <summary>Runs once the effect is stored, for in-memory state that mirrors the store.</summary>
    protected virtual void Committed(ConsumeContext<TMessage> context)
    {
    }

    /// <summary>Applies the message through <paramref name="session"/>; the writer saves it.</summary>
    protected abstract Task Handle(ConsumeContext<TMessage> context, IDocumentSession session);
}
