using System.Text.Json;
using BodyCam.Contracts;
using BodyCam.ServiceDefaults.Messaging;
using JasperFx.Events;
using Marten;

namespace BodyCam.Audit.Chain;

/// <summary>
/// The one writer of the audit chain. Entries are appended one at a time, in arrival order, each
/// hashed over the one before. The chain's Marten stream version is the last sequence number, so a
/// second audit instance racing this one fails its append instead of forking the chain.
/// </summary>
public sealed class AuditChain(IDocumentStore store, TimeProvider time)
{
    public const string StreamKey = "audit-chain";

    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web);
    private static readonly string[] SubjectFields = ["grantId", "requestId", "cameraId", "officerId", "operationId", "path"];

    private readonly SemaphoreSlim _writer = new(1, 1);
    private (long Seq, string Hash)? _head;

    public async Task AppendAsync(Guid messageId, IIntegrationEvent message, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var session = store.LightweightSession();
            if (await session.LoadAsync<HandledMessage>(messageId, cancellationToken) is not null)
            {
                return;
            }

            var (seq, prevHash) = _head ??= await LoadHeadAsync(session, cancellationToken);
            var entry = Link(seq + 1, prevHash, messageId, message);
            if (seq == 0)
            {
                session.Events.StartStream(StreamKey, new ChainLinked(entry));
            }
            else
            {
                session.Events.Append(StreamKey, entry.Id, new ChainLinked(entry));
            }

            session.Store(entry);
            session.Insert(new HandledMessage(messageId, entry.Type, entry.RecordedAt));
            try
            {
                await session.SaveChangesAsync(cancellationToken);
                _head = (entry.Id, entry.Hash);
            }
            catch
            {
                // Another writer may have moved the head: read it again on the retry.
                _head = null;
                throw;
            }
        }
        finally
        {
            _writer.Release();
        }
    }

    private AuditEntry Link(long seq, string prevHash, Guid messageId, IIntegrationEvent message)
    {
        var data = JsonSerializer.SerializeToElement(message, message.GetType(), DataJson);
        var raw = data.GetRawText();
        var subject = SubjectFields.Select(f => Text(data, f)).FirstOrDefault(v => v is not null) ?? message.GetType().Name;
        var type = message.GetType().Name;
        var at = message.OccurredAt.ToUniversalTime();
        var hash = AuditHash.Compute(seq, prevHash, at, type, messageId, message.ActorId, subject, raw);
        return new AuditEntry(seq, at, time.GetUtcNow(), type, messageId, message.ActorId, subject,
            Text(data, "cameraId"), Text(data, "officerId"), Text(data, "viewerId"), Text(data, "incidentRef"),
            raw, prevHash, hash);
    }

    private static string? Text(JsonElement data, string field) =>
        data.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<(long, string)> LoadHeadAsync(IDocumentSession session, CancellationToken cancellationToken)
    {
        var state = await session.Events.FetchStreamStateAsync(StreamKey, cancellationToken);
        if (state is null || state.Version == 0)
        {
            return (0, AuditHash.Genesis);
        }

        var last = await session.LoadAsync<AuditEntry>(state.Version, cancellationToken)
            ?? throw new InvalidOperationException($"The audit chain is at {state.Version} but that entry is missing.");
        return (last.Id, last.Hash);
    }
}
