using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>
/// The one writer of a service's facts. Each <see cref="IdempotentConsumer{TMessage}"/> hands it the
/// message and waits; it takes whatever has queued meanwhile (up to <see cref="MaxBatch"/>), drops
/// what was handled before, applies the rest in the order they came through one session, and stores
/// the effects and the handled ids in one transaction. A commit per batch instead of per message is
/// what lets a consumer keep up with the bus (one message per transaction drained 50-100 a second).
/// Idle, a batch is the one message: nothing waits for company.
/// Facts are taken in the order the broker delivered them on each channel (<see cref="DeliveryOrder{T}"/>).
/// </summary>
public sealed class FactWriter(IDocumentStore store, TimeProvider time, IMeterFactory meters, ILogger<FactWriter> log) : BackgroundService
{
    public const int MaxBatch = 256;

    /// <summary>
    /// How long the writer, woken by a fact, waits for the ones delivered right behind it: the broker
    /// delivers a queue in order, but messages handled side by side can reach the writer a little out
    /// of it, and within one batch a stream's facts are put back in order.
    /// </summary>
    public static readonly TimeSpan CollectWindow = TimeSpan.FromMilliseconds(3);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Histogram<int> _batchSize = meters.Create("BodyCam.Messaging").CreateHistogram<int>("bodycam.facts.batch_size", description: "Facts per transaction of a service's fact writer");
    private readonly Histogram<double> _writeSeconds = meters.Create("BodyCam.Messaging").CreateHistogram<double>("bodycam.facts.write_duration", "s", "How long one transaction of a service's fact writer takes");

    /// <summary>
    /// Applies <paramref name="handle"/> once per <paramref name="messageId"/> and stores it; then runs
    /// <paramref name="committed"/>. Completes when stored (or found handled before); throws what the
    /// message's own handling threw, so the message is retried or parked by itself.
    /// </summary>
    /// <param name="alone">
    /// Stored in a transaction of its own, after what came before it: for a message whose handling
    /// queries across subjects, which would not see what the batch stored but has not yet committed.
    /// </param>
    /// <param name="order">
    /// The stream the fact was published from and its sequence there (the publisher's headers):
    /// within a batch, a stream's facts are applied in that order whatever order they arrived in.
    /// </param>
    /// <param name="loads">The document the handling loads first, loaded with the rest of the batch's in one query.</param>
    public async Task WriteAsync(Guid messageId, string messageType, Func<IDocumentSession, Task> handle, Action committed, bool alone, (string Stream, long Sequence)? order, DocumentKey? loads, (string Channel, ulong Tag)? delivery, CancellationToken cancellationToken)
    {
        var pending = new Pending(messageId, messageType, handle, committed, alone, order, loads, delivery, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        await pending.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>A delivery its consumer passes over without storing anything: its place in the order is free.</summary>
    public Task PassAsync((string Channel, ulong Tag)? delivery, CancellationToken cancellationToken) =>
        delivery is null
            ? Task.CompletedTask
            : WriteAsync(Guid.Empty, "passed", null!, () => { }, false, null, null, delivery, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var order = new DeliveryOrder<Pending>(time);
        var ready = new List<Pending>();
        var batch = new List<Pending>(MaxBatch);
        while (!stoppingToken.IsCancellationRequested)
        {
            await order.TakeAsync(_queue.Reader, p => p.Delivery, ready, CollectWindow, stoppingToken);
            batch.Clear();
            var taken = 0;
            foreach (var pending in ready)
            {
                if (batch.Count == MaxBatch || (pending.Alone && batch.Count > 0) || batch is [{ Alone: true }])
                {
                    break;
                }

                taken++;
                if (pending.Handle is null)
                {
                    pending.Done.TrySetResult();
                    continue;
                }

                batch.Add(pending);
            }

            ready.RemoveRange(0, taken);
            if (batch.Count == 0)
            {
                continue;
            }

            DeliveryOrder<Pending>.InStreamOrder(batch, p => p.Order);
            try
            {
                var started = Stopwatch.GetTimestamp();
                var applied = await StoreAsync(batch, stoppingToken);
                _writeSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                _batchSize.Record(batch.Count);
                Complete(applied, batch);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (batch.Count == 1)
                {
                    batch[0].Done.TrySetException(e);
                    continue;
                }

                // One message that fails must not hold back the others: store them one at a time,
                // so each succeeds or fails (and is retried or parked) on its own.
                log.LogWarning(e, "Storing a batch of {Count} facts failed; storing them one by one", batch.Count);
                foreach (var pending in batch)
                {
                    try
                    {
                        Complete(await StoreAsync([pending], stoppingToken), [pending]);
                    }
                    catch (Exception single) when (single is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        pending.Done.TrySetException(single);
                    }
                }
            }
        }
    }

    private async Task<HashSet<Pending>> StoreAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        // An identity map: a document stored by one message is what the next one in the batch loads.
        await using var session = store.IdentitySession();
        var ids = batch.Select(p => p.MessageId).Distinct().ToArray();
        var handled = (await session.LoadManyAsync<HandledMessage>(cancellationToken, ids)).Select(h => h.Id).ToHashSet();
        foreach (var documents in batch.Where(p => p.Loads is not null && !handled.Contains(p.MessageId)).Select(p => p.Loads!.Value).Distinct().GroupBy(k => k.Type))
        {
            // Into the identity map: each handler's own load of its document then needs no query.
            await DocumentKey.LoadManyAsync(session, documents.Key, [.. documents.Select(k => k.Id)], cancellationToken);
        }

        var applied = new HashSet<Pending>();
        var now = time.GetUtcNow();
        foreach (var pending in batch)
        {
            // Skips both what an earlier batch handled and a second delivery within this one.
            if (!handled.Add(pending.MessageId))
            {
                continue;
            }

            await pending.Handle!(session);
            session.Insert(new HandledMessage(pending.MessageId, pending.MessageType, now));
            applied.Add(pending);
        }

        if (applied.Count > 0)
        {
            await session.SaveChangesAsync(cancellationToken);
        }

        return applied;
    }

    private void Complete(HashSet<Pending> applied, IReadOnlyList<Pending> batch)
    {
        foreach (var pending in batch)
        {
            if (applied.Contains(pending))
            {
                try
                {
                    pending.Committed();
                }
                catch (Exception e)
                {
                    // Stored already: a failure to mirror it in memory must not make the broker redeliver it.
                    log.LogError(e, "Mirroring the stored {MessageType} {MessageId} in memory failed", pending.MessageType, pending.MessageId);
                }
            }

            pending.Done.TrySetResult();
        }
    }

    private sealed class Pending(Guid messageId, string messageType, Func<IDocumentSession, Task>? handle, Action committed, bool alone, (string Stream, long Sequence)? order, DocumentKey? loads, (string Channel, ulong Tag)? delivery, TaskCompletionSource done)
    {
        public (string Channel, ulong Tag)? Delivery => delivery;
        public DocumentKey? Loads => loads;
        public (string Stream, long Sequence)? Order => order;
        public bool Alone => alone;
        public Guid MessageId => messageId;
        public string MessageType => messageType;
        public Func<IDocumentSession, Task>? Handle => handle;
        public Action Committed => committed;
        public TaskCompletionSource Done => done;
    }
}
