using BodyCam.ServiceDefaults.Messaging.Redelivery;
using Marten;
using MassTransit;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>
/// A consumer whose effect happens once per message id, however often the broker delivers it.
/// The handled id is stored in the same transaction as the effect: either both are saved or neither.
/// Two deliveries racing each other collide on the id's primary key; the loser is retried and then
/// finds the message handled.
/// </summary>
public abstract class IdempotentConsumer<TMessage>(IDocumentStore store, TimeProvider time) : IConsumer<TMessage>
    where TMessage : class
{
    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId
            ?? throw new PoisonMessageException($"{typeof(TMessage).Name} arrived without a message id; it cannot be de-duplicated.");

        await using var session = store.LightweightSession();
        if (await session.LoadAsync<HandledMessage>(messageId, context.CancellationToken) is not null)
        {
            return;
        }

        await Handle(context, session);
        session.Insert(new HandledMessage(messageId, typeof(TMessage).Name, time.GetUtcNow()));
        await session.SaveChangesAsync(context.CancellationToken);
        Committed(context);
    }

    /// <summary>Runs once the effect is stored, for in-memory state that mirrors the store.</summary>
    protected virtual void Committed(ConsumeContext<TMessage> context)
    {
    }

    /// <summary>Applies the message through <paramref name="session"/>; the caller saves it.</summary>
    protected abstract Task Handle(ConsumeContext<TMessage> context, IDocumentSession session);
}
