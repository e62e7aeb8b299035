using System.Text.Json;
using BodyCam.Audit.Tree;
using Marten;
using Npgsql;

namespace BodyCam.Audit.Chain;

/// <summary>
/// Entries read from the chain's event stream (the record of truth, append-only), not from the query
/// documents beside it, for what the tree is made of: the tail's leaves a checkpoint signs and the
/// entry bundles served. Each must hash to what it says and link to the one before, or the read
/// fails: nothing is signed or served over a record that does not add up.
/// </summary>
public static class ChainEntries
{
    public static async Task<List<AuditEntry>> ReadAsync(IDocumentStore store, long from, long to, CancellationToken cancellationToken)
    {
        var entries = new List<AuditEntry>((int)Math.Clamp(to - from + 1, 0, 4096));
        if (to < from)
        {
            return entries;
        }

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT version, (data -> 'entry')::text FROM {store.Options.Events.DatabaseSchemaName}.mt_events
            WHERE stream_id = @stream AND version BETWEEN @from AND @to ORDER BY version
            """, connection);
        command.Parameters.AddWithValue("stream", AuditChain.StreamKey);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var seq = from + entries.Count;
            AuditEntry? entry;
            try
            {
                entry = reader.IsDBNull(1) ? null : JsonSerializer.Deserialize<AuditEntry>(reader.GetString(1), AuditEntry.Json);
            }
            catch (JsonException)
            {
                entry = null;
            }

            var problem = reader.GetInt64(0) != seq ? "is missing"
                : entry is null || entry.Id != seq ? "is not a chain link"
                : entry.ComputeHash() != entry.Hash ? "does not match its hash"
                : entries.Count > 0 && entry.PrevHash != entries[^1].Hash ? "does not link to the entry before"
                : null;
            if (problem is not null)
            {
                throw new TreeBrokenException($"Entry {seq} of the chain {problem}: the tree is not built over it.");
            }

            entries.Add(entry!);
        }

        return entries.Count == to - from + 1 ? entries
            : throw new TreeBrokenException($"Entry {from + entries.Count} is missing from the chain: the tree cannot be built past it.");
    }
}
