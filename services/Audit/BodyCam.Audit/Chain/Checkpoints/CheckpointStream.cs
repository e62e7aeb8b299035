using System.Text.Json;
using Marten;
using Npgsql;

namespace BodyCam.Audit.Chain.Checkpoints;

/// <summary>Reads the checkpoints' own stream (append-only, numbered from 1) without loading all of it.</summary>
public static class CheckpointStream
{
    /// <summary>The checkpoints whose tree size is in the range, in the order they were signed, as stored on their stream.</summary>
    public static async Task<List<(long Version, Checkpoint? Checkpoint)>> InRangeAsync(IDocumentStore store, long from, long to, CancellationToken cancellationToken)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT version, (data -> 'checkpoint')::text FROM {schema}.mt_events
            WHERE stream_id = @stream AND (data -> 'checkpoint' ->> 'id')::bigint BETWEEN @from AND @to
            ORDER BY version
            """, connection);
        command.Parameters.AddWithValue("stream", CheckpointSigner.StreamKey);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        var found = new List<(long, Checkpoint?)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            Checkpoint? checkpoint;
            try
            {
                checkpoint = reader.IsDBNull(1) ? null : JsonSerializer.Deserialize<Checkpoint>(reader.GetString(1), AuditEntry.Json);
            }
            catch (JsonException)
            {
                checkpoint = null;
            }

            found.Add((reader.GetInt64(0), checkpoint));
        }

        return found;
    }

    /// <summary>The newest checkpoint on the checkpoints' stream.</summary>
    public static async Task<Checkpoint?> LatestAsync(IQuerySession session, CancellationToken cancellationToken)
    {
        var state = await session.Events.FetchStreamStateAsync(CheckpointSigner.StreamKey, cancellationToken);
        if (state is not { Version: > 0 })
        {
            return null;
        }

        var events = await session.Events.FetchStreamAsync(CheckpointSigner.StreamKey, state.Version, fromVersion: state.Version, token: cancellationToken);
        return events.Select(e => e.Data).OfType<CheckpointSigned>().LastOrDefault()?.Checkpoint;
    }
}
