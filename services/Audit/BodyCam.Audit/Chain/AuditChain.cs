using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using BodyCam.Contracts;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using BodyCam.Audit.Tree;

namespace BodyCam.Audit.Chain;

/// <summary>
/// The one writer of the audit chain. Consumers hand it events and wait; it takes whatever has
/// queued (up to <see cref="MaxBatch"/>), drops what was already recorded, links each new entry to
/// the one before, and stores the batch in one transaction: the chain's Marten stream, the query
/// documents and the handled message ids together. The chain is in the order audit recorded the
/// events; each entry keeps the time its fact happened. The stream's version is the last sequence
/// number, so a second audit instance racing this one fails its append instead of forking the chain.
/// Each entry is also a leaf of the log's Merkle tree: the tiles it fills are stored in the same
/// transaction, so the tree always covers exactly the chain.
/// </summary>
public sealed class AuditChain(IDocumentStore store, TreeTiles tiles, TimeProvider time, IMeterFactory meters, ILogger<AuditChain> log) : BackgroundService
{
    public const string StreamKey = "audit-chain";
    public const int MaxBatch = 500;

    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web);
    private static readonly string[] SubjectFields = ["grantId", "requestId", "cameraId", "officerId", "operationId", "path"];

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(MaxBatch * 4) { SingleReader = true });
    private readonly Counter<long> _recorded = meters.Create("audit").CreateCounter<long>("bodycam.audit.recorded", description: "Events appended to the audit chain");
    private readonly Counter<long> _duplicates = meters.Create("audit").CreateCounter<long>("bodycam.audit.duplicates_dropped", description: "Deliveries of events already in the chain, dropped");
    private readonly Histogram<int> _batchSize = meters.Create("audit").CreateHistogram<int>("bodycam.audit.batch_size", description: "Events per transaction of the chain's writer");
    private readonly Histogram<double> _writeSeconds = meters.Create("audit").CreateHistogram<double>("bodycam.audit.write_duration", "s", "How long one transaction of the chain's writer takes");
    private (long Seq, string Hash, TreeFrontier Tree)? _head;

    /// <summary>
    /// Records an event in the chain; completes once it is stored (or was already). Events are
    /// chained in the order the broker delivered them (<paramref name="delivery"/>: the consumer's
    /// channel and delivery number), and a batch's events of one publisher's stream in that stream's
    /// order (<paramref name="order"/>), so a grant's story never reads revoke before grant.
    /// </summary>
    public async Task AppendAsync(Guid messageId, IIntegrationEvent message, (string Channel, ulong Tag)? delivery, (string Stream, long Sequence)? order, CancellationToken cancellationToken)
    {
        var pending = new Pending(messageId, message, delivery, order, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        await pending.Stored.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Reads the chain's head from the database before the next write (another instance may have moved it).</summary>
    public void ForgetHead() => _head = null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var order = new DeliveryOrder<Pending>(time);
        var ready = new List<Pending>();
        var batch = new List<Pending>(MaxBatch);
        while (!stoppingToken.IsCancellationRequested)
        {
            await order.TakeAsync(_queue.Reader, p => p.Delivery, ready, TimeSpan.Zero, stoppingToken);
            batch.Clear();
            batch.AddRange(ready.Take(MaxBatch));
            ready.RemoveRange(0, batch.Count);
            if (batch.Count == 0)
            {
                continue;
            }

            DeliveryOrder<Pending>.InStreamOrder(batch, p => p.Order);

            try
            {
                var started = Stopwatch.GetTimestamp();
                await WriteAsync(batch, stoppingToken);
                _writeSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                _batchSize.Record(batch.Count);
                batch.ForEach(p => p.Stored.TrySetResult());
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                _head = null;
                if (batch.Count == 1)
                {
                    batch[0].Stored.TrySetException(e);
                    continue;
                }

                // One bad event must not hold back the others: write them one at a time.
                log.LogWarning(e, "Recording a batch of {Count} events failed; recording them one by one", batch.Count);
                foreach (var pending in batch)
                {
                    try
                    {
                        await WriteAsync([pending], stoppingToken);
                        pending.Stored.TrySetResult();
                    }
                    catch (Exception single) when (single is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        _head = null;
                        pending.Stored.TrySetException(single);
                    }
                }
            }
        }
    }

    private async Task WriteAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var ids = batch.Select(p => p.MessageId).Distinct().ToArray();
        var handled = (await session.LoadManyAsync<HandledMessage>(cancellationToken, ids)).Select(h => h.Id).ToHashSet();
        var (seq, hash, tree) = _head ??= await LoadHeadAsync(session, cancellationToken);
        var entries = new List<AuditEntry>(batch.Count);
        foreach (var pending in batch)
        {
            // Skips both what an earlier batch recorded and a repeat within this one.
            if (!handled.Add(pending.MessageId))
            {
                continue;
            }

            var entry = Link(seq + 1, hash, pending.MessageId, pending.Message);
            entries.Add(entry);
            (seq, hash) = (entry.Id, entry.Hash);
            session.Insert(entry);
            session.Insert(new HandledMessage(entry.MessageId, entry.Type, entry.RecordedAt));
            foreach (var tile in tree.Append(Convert.FromBase64String(entry.ComputeLeafHash())))
            {
                tiles.Insert(session, tile);
            }
        }

        if (entries.Count == 0)
        {
            _duplicates.Add(batch.Count);
            return;
        }

        var links = entries.Select(e => (object)new ChainLinked(e)).ToArray();
        if (entries[0].Id == 1)
        {
            session.Events.StartStream(StreamKey, links);
        }
        else
        {
            session.Events.Append(StreamKey, seq, links);
        }

        await session.SaveChangesAsync(cancellationToken);
        _head = (seq, hash, tree);
        _recorded.Add(entries.Count);
        _duplicates.Add(batch.Count - entries.Count);
    }

    private AuditEntry Link(long seq, string prevHash, Guid messageId, IIntegrationEvent message)
    {
        var data = JsonSerializer.SerializeToElement(message, message.GetType(), DataJson);
        var raw = data.GetRawText();
        var subject = SubjectFields.Select(f => EntryData.Text(data, f)).FirstOrDefault(v => v is not null) ?? message.GetType().Name;
        var type = message.GetType().Name;
        var at = message.OccurredAt.ToUniversalTime();
        var hash = AuditHash.Compute(seq, prevHash, at, type, messageId, message.ActorId, subject, raw);
        return new AuditEntry(seq, at, time.GetUtcNow(), type, messageId, message.ActorId, subject,
            EntryData.Text(data, "cameraId"), EntryData.Text(data, "officerId"), EntryData.Text(data, "viewerId"), EntryData.Text(data, "incidentRef"),
            raw, prevHash, hash);
    }


    private async Task<(long, string, TreeFrontier)> LoadHeadAsync(IDocumentSession session, CancellationToken cancellationToken)
    {
        var state = await session.Events.FetchStreamStateAsync(StreamKey, cancellationToken);
        if (state is null || state.Version == 0)
        {
            return (0, AuditHash.Genesis, new TreeFrontier());
        }

        var last = await session.LoadAsync<AuditEntry>(state.Version, cancellationToken)
            ?? throw new InvalidOperationException($"The audit chain is at {state.Version} but that entry is missing.");
        // A chain recorded before the tree existed gets its tiles built here, once, in order.
        return (last.Id, last.Hash, await tiles.LoadAsync(last.Id, cancellationToken));
    }

    private sealed record Pending(Guid MessageId, IIntegrationEvent Message, (string Channel, ulong Tag)? Delivery, (string Stream, long Sequence)? Order, TaskCompletionSource Stored);
}
