using Marten;
using Npgsql;

namespace BodyCam.Audit.Chain;

/// <summary>
/// Makes audit's event table append-only to the role the service runs as: no UPDATE, DELETE or
/// TRUNCATE privilege, and a trigger that refuses them whoever asks (a superuser included, unless
/// they turn triggers off). Run at every start, after Marten has put its tables in place; each
/// statement is idempotent. The chain's entries, misuse alerts and their acknowledgements are events
/// there, and the Merkle tree's full tiles are rows of their own table; the query documents beside them are not the record and a rebuild may rewrite them.
/// </summary>
/// <remarks>
/// This stops a mistake and the service itself; it does not stop the table's owner (the same role,
/// on one machine) from granting the privilege back or disabling the trigger. What catches that is
/// the chain's hashes, its signed checkpoints and the verifier.
/// </remarks>
public sealed class AppendOnlyRecord(IDocumentStore store, ILogger<AppendOnlyRecord> log) : IHostedService
{
    public const string TriggerName = "bodycam_append_only";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        string[] tables = [$"{schema}.mt_events", $"{store.Options.DatabaseSchemaName}.{Tree.TreeTiles.TableName}"];
        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($$"""
            CREATE OR REPLACE FUNCTION {{schema}}.bodycam_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'the audit record is append-only: % on %.% is refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
            END $$;
            -- Creating a trigger locks out inserts for a moment: only when it is missing (or was dropped).
            {{string.Concat(tables.Select(t => Guard(t, schema)))}}
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        log.LogInformation("The audit record ({Tables}) is append-only to this service's role", string.Join(", ", tables));
    }

    private static string Guard(string table, string functionSchema) => $$"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = '{{table}}'::regclass AND tgname = '{{TriggerName}}') THEN
            CREATE TRIGGER {{TriggerName}} BEFORE UPDATE OR DELETE ON {{table}}
              FOR EACH ROW EXECUTE FUNCTION {{functionSchema}}.bodycam_refuse_rewrite();
          END IF;
          IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = '{{table}}'::regclass AND tgname = '{{TriggerName}}_truncate') THEN
            CREATE TRIGGER {{TriggerName}}_truncate BEFORE TRUNCATE ON {{table}}
              FOR EACH STATEMENT EXECUTE FUNCTION {{functionSchema}}.bodycam_refuse_rewrite();
          END IF;
        END $$;
        REVOKE UPDATE, DELETE, TRUNCATE ON {{table}} FROM CURRENT_USER;
        """;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
