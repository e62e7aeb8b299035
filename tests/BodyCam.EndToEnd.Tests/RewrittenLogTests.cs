using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using BodyCam.Audit.Chain;
using BodyCam.Audit.Tree;
using BodyCam.Testing;
using Npgsql;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>The rewrite below leaves its system's record broken for good: it gets a system of its own, run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RewrittenLogCollection
{
    public const string Name = "rewritten log";
}

/// <summary>
/// An insider with the database's password rewrites the audit record whole, as carefully as it can
/// be done: an entry changed, every chain hash after it recomputed, the tree's tiles rebuilt, the
/// checkpoints deleted, and the log's own signer left to sign the rewritten tree with the log key.
/// Everything the force holds is consistent again; the witness, which cosigned the true tree, is not.
/// </summary>
[Collection(RewrittenLogCollection.Name)]
public sealed class RewrittenLogTests : IAsyncLifetime
{
    private readonly BodyCamSystem _system = new();

    public Task InitializeAsync() => _system.InitializeAsync();

    public Task DisposeAsync() => _system.DisposeAsync();

    [Fact]
    public async Task A_record_rewritten_whole_and_re_signed_with_the_log_key_is_caught_by_verify_and_by_the_witness()
    {
        var cameraId = Api.NewCameraId();
        await _system.RegisterCameraAsync(cameraId);
        var registered = (await _system.AuditEventsEventuallyAsync($"cameraId={cameraId}&type=CameraRegistered"))[0];
        var target = registered.GetProperty("seq").GetInt64();
        using var compliance = await _system.ClientForAsync("compliance1");
        Assert.True(SignedNote.TryParseVerifierKey(_system.WitnessKey, out var witnessKey));
        await Eventually.Async(async () =>
        {
            var verified = await compliance.GetFromJsonAsync<JsonElement>("api/audit/verify");
            // The witness must have cosigned a tree that holds the registration, not just an earlier one.
            return verified.GetProperty("ok").GetBoolean() && verified.GetProperty("witnessQuorum").GetBoolean() && await WitnessedSizeAsync() >= target
                ? (object)verified : null;
        }, TimeSpan.FromSeconds(30), "the untouched record verifying, with the witness agreeing up to the registration");
        var witnessed = await WitnessedSizeAsync();
        Assert.True(witnessed >= target);
        // A regulator kept a witnessed checkpoint from before.
        var held = Path.Combine(Path.GetTempPath(), $"bodycam-held-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(held, await AuditExportTests.WitnessedCheckpointAsync(_system, compliance, witnessed));

        // The insider stops audit, and rewrites who registered the camera, and everything that depends on it.
        await _system.Service("audit").KillAsync();
        witnessed = await WitnessedSizeAsync();   // it may have cosigned a little more before audit stopped
        await RewriteAsync(target);
        await _system.RestartAsync("audit");

        // The log's signer signs the rewritten tree with the log's key; the witness refuses to cosign it, loudly.
        var alarms = await Eventually.Async(async () =>
        {
            var list = await _system.Client(address: _system.Witness.Address).GetFromJsonAsync<JsonElement>("alarms");
            return list.GetArrayLength() > 0 ? (object)list : null;
        }, TimeSpan.FromSeconds(30), "the witness's alarm");
        Assert.Contains("rewritten", ((JsonElement)alarms)[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("ALARM", _system.Witness.Output, StringComparison.Ordinal);
        await Eventually.Async(() => Task.FromResult(_system.Service("audit").Output.Contains("WITNESS REFUSED", StringComparison.Ordinal) ? (object)true : null),
            TimeSpan.FromSeconds(30), "audit's critical log line");

        var note = await Eventually.Async(async () =>
        {
            using var response = await compliance.GetAsync("api/audit/checkpoint");
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
        }, TimeSpan.FromSeconds(30), "a checkpoint of the rewritten tree");
        Assert.True(SignedNote.TryParse(note, out var body, out var signatures));
        Assert.DoesNotContain(signatures, s => SignedNote.Verifies(body, s, witnessKey));

        // Verification finds the chain, tree and checkpoints consistent, and the witness disagreeing.
        var verdict = await compliance.GetFromJsonAsync<JsonElement>("api/audit/verify");
        Assert.False(verdict.GetProperty("ok").GetBoolean(), verdict.GetRawText());
        Assert.Contains("Witness", verdict.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Equal(witnessed, verdict.GetProperty("firstBrokenSeq").GetInt64());
        Assert.False(verdict.GetProperty("witnesses")[0].GetProperty("agrees").GetBoolean());

        // Offline, the regulator's verifier finds the export consistent with itself but not with what they held.
        var export = await compliance.GetStringAsync("api/audit/export?format=json&from=1");
        var (exit, output) = await AuditExportTests.VerifyAsync(export, ".json", "--log-key", _system.LogKey, "--checkpoint", held);
        Assert.True(exit == 1, output);
        Assert.Contains("rewritten", output, StringComparison.Ordinal);
        (exit, output) = await AuditExportTests.VerifyAsync(export, ".json", "--log-key", _system.LogKey, "--witness-key", _system.WitnessKey);
        Assert.True(exit == 1, output);
        Assert.Contains("cosigned by 0", output, StringComparison.Ordinal);
        File.Delete(held);
    }

    private async Task<long> WitnessedSizeAsync()
    {
        var logs = await _system.Client(address: _system.Witness.Address).GetFromJsonAsync<JsonElement>("logs");
        return logs.EnumerateArray().Single(l => l.GetProperty("origin").GetString() == BodyCamSystem.LogOrigin).GetProperty("size").GetInt64();
    }

    /// <summary>As the database owner: entry <paramref name="target"/>'s actor becomes mallory; every later hash, the tiles and the checkpoints are made to match.</summary>
    private async Task RewriteAsync(long target)
    {
        await using var connection = new NpgsqlConnection(_system.Database);
        await connection.OpenAsync();
        await ExecuteAsync(connection, $"""
            GRANT UPDATE, DELETE ON audit.mt_events, audit.{TreeTiles} TO CURRENT_USER;
            ALTER TABLE audit.mt_events DISABLE TRIGGER {AppendOnly}; ALTER TABLE audit.{TreeTiles} DISABLE TRIGGER {AppendOnly};
            """);

        var entries = new List<JsonObject>();
        await using (var read = new NpgsqlCommand("SELECT (data -> 'entry')::text FROM audit.mt_events WHERE stream_id = 'audit-chain' ORDER BY version", connection))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                entries.Add(JsonNode.Parse(reader.GetString(0))!.AsObject());
            }
        }

        entries[(int)target - 1]["actorId"] = "mallory";
        var previous = entries[(int)target - 2]["hash"]!.GetValue<string>();
        var frontier = new TreeFrontier();
        var tiles = new List<FullTile>();
        foreach (var entry in entries)
        {
            var seq = entry["id"]!.GetValue<long>();
            if (seq >= target)
            {
                entry["prevHash"] = previous;
                entry["hash"] = AuditHash.Compute(seq, previous, entry["at"]!.GetValue<DateTimeOffset>(), entry["type"]!.GetValue<string>(),
                    entry["messageId"]!.GetValue<Guid>(), entry["actorId"]!.GetValue<string>(), entry["subject"]!.GetValue<string>(), entry["data"]!.GetValue<string>());
                await using var update = new NpgsqlCommand("""
                    UPDATE audit.mt_events SET data = jsonb_set(data, '{entry}', @entry::jsonb) WHERE stream_id = 'audit-chain' AND version = @seq;
                    UPDATE audit.mt_doc_auditentry SET data = @entry::jsonb WHERE id = @seq;
                    """, connection);
                update.Parameters.AddWithValue("entry", entry.ToJsonString());
                update.Parameters.AddWithValue("seq", seq);
                await update.ExecuteNonQueryAsync();
            }

            previous = entry["hash"]!.GetValue<string>();
            var leaf = AuditHash.LeafHash(seq, entry["prevHash"]!.GetValue<string>(), entry["at"]!.GetValue<DateTimeOffset>(), entry["type"]!.GetValue<string>(),
                entry["messageId"]!.GetValue<Guid>(), entry["actorId"]!.GetValue<string>(), entry["subject"]!.GetValue<string>(), entry["data"]!.GetValue<string>());
            tiles.AddRange(frontier.Append(Convert.FromBase64String(leaf)));
        }

        await ExecuteAsync(connection, $"DELETE FROM audit.{TreeTiles}");
        foreach (var tile in tiles)
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO audit.{TreeTiles} (level, idx, hashes) VALUES (@level, @index, @hashes)", connection);
            insert.Parameters.AddWithValue("level", tile.Level);
            insert.Parameters.AddWithValue("index", tile.Index);
            insert.Parameters.AddWithValue("hashes", tile.Hashes);
            await insert.ExecuteNonQueryAsync();
        }

        // No checkpoint of the true record is left to compare with.
        await ExecuteAsync(connection, $"""
            DELETE FROM audit.mt_events WHERE stream_id = 'audit-checkpoints';
            DELETE FROM audit.mt_streams WHERE id = 'audit-checkpoints';
            DELETE FROM audit.mt_doc_checkpoint;
            ALTER TABLE audit.mt_events ENABLE TRIGGER {AppendOnly}; ALTER TABLE audit.{TreeTiles} ENABLE TRIGGER {AppendOnly};
            """);
    }

    private const string AppendOnly = "bodycam_append_only";
    private const string TreeTiles = "bodycam_tree_tiles";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
