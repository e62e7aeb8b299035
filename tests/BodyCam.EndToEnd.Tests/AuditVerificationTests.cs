using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Npgsql;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>Anyone with compliance rights can check the chain, and a row changed behind audit's back is found at its exact place.</summary>
[Collection(SystemCollection.Name)]
public sealed class AuditVerificationTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_row_changed_directly_in_PostgreSQL_is_found_at_its_exact_sequence_number()
    {
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        var entries = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 2);
        var documentSeq = entries[0].GetProperty("seq").GetInt64();
        var eventSeq = entries[1].GetProperty("seq").GetInt64();
        Assert.True((await VerifyAsync()).GetProperty("ok").GetBoolean(), "the chain should verify before anyone touches it");

        // Someone with database access rewrites who registered the camera, in the query documents only.
        var originalDocument = await ExecuteAsync(
            "UPDATE audit.mt_doc_auditentry SET data = jsonb_set(data, '{actorId}', '\"mallory\"') WHERE id = @seq RETURNING data::text", documentSeq, null);
        var afterDocument = await VerifyAsync();
        await ExecuteAsync("UPDATE audit.mt_doc_auditentry SET data = @original::jsonb WHERE id = @seq RETURNING data::text", documentSeq, originalDocument);

        // Then in the chain's own event stream.
        var originalEvent = await ExecuteAsync(
            "UPDATE audit.mt_events SET data = jsonb_set(data, '{entry,actorId}', '\"mallory\"') WHERE stream_id = 'audit-chain' AND version = @seq RETURNING data::text", eventSeq, null);
        var afterEvent = await VerifyAsync();
        await ExecuteAsync("UPDATE audit.mt_events SET data = @original::jsonb WHERE stream_id = 'audit-chain' AND version = @seq RETURNING data::text", eventSeq, originalEvent);

        Assert.False(afterDocument.GetProperty("ok").GetBoolean());
        Assert.Equal(documentSeq, afterDocument.GetProperty("firstBrokenSeq").GetInt64());
        Assert.Contains("query document", afterDocument.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.False(afterEvent.GetProperty("ok").GetBoolean());
        Assert.Equal(eventSeq, afterEvent.GetProperty("firstBrokenSeq").GetInt64());
        Assert.Contains("hash", afterEvent.GetProperty("problem").GetString(), StringComparison.Ordinal);
        var restored = await VerifyAsync();
        Assert.True(restored.GetProperty("ok").GetBoolean(), restored.GetRawText());
    }

    [Fact]
    public async Task Every_entry_carries_a_leaf_hash_anyone_can_recompute_from_what_the_api_returns()
    {
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        var entries = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 2);
        foreach (var e in entries)
        {
            // SHA-256 over 0x00 and the documented canonical bytes: [seq, prevHash, at, type, messageId, actorId, subject, data].
            var canonical = JsonSerializer.Serialize(new object[]
            {
                e.GetProperty("seq").GetInt64(), e.GetProperty("prevHash").GetString()!,
                e.GetProperty("at").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                e.GetProperty("type").GetString()!, e.GetProperty("messageId").GetString()!, e.GetProperty("actorId").GetString()!,
                e.GetProperty("subject").GetString()!, e.GetProperty("data").GetRawText(),
            });
            byte[] leaf = [0x00, .. System.Text.Encoding.UTF8.GetBytes(canonical)];
            Assert.Equal(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(leaf)), e.GetProperty("leafHash").GetString());
        }

        // The timeline gives the same entries the same leaves.
        using var compliance = await system.ClientForAsync("compliance1");
        var timeline = await compliance.GetFromJsonAsync<JsonElement>($"api/audit/timeline?cameraId={cameraId}");
        var leaves = timeline.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("seq").GetInt64(), i => i.GetProperty("leafHash").GetString());
        Assert.All(entries, e => Assert.Equal(e.GetProperty("leafHash").GetString(), leaves[e.GetProperty("seq").GetInt64()]));
    }

    [Fact]
    public async Task Reading_the_record_is_on_the_record_with_the_reader_the_filter_the_count_and_the_reason()
    {
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        var before = (await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 2)).Max(e => e.GetProperty("seq").GetInt64());

        using var compliance = await system.ClientForAsync("compliance1");
        (await compliance.GetAsync($"api/audit/events?cameraId={cameraId}&reason=Complaint%20ref%20C-17")).EnsureSuccessStatusCode();
        (await compliance.GetAsync($"api/audit/access?cameraId={cameraId}")).EnsureSuccessStatusCode();
        (await compliance.GetAsync($"api/audit/timeline?cameraId={cameraId}&reason=Replay%20for%20C-17")).EnsureSuccessStatusCode();
        (await compliance.GetAsync("api/audit/alerts?viewerId=control1")).EnsureSuccessStatusCode();

        var reads = await Eventually.Async(async () =>
        {
            var found = (await system.AuditEventsAsync($"type=PersonalDataRead&after={before}&limit=1000"))
                .Select(e => e.GetProperty("data")).Where(d => d.GetProperty("actorId").GetString() == "compliance1").ToList();
            var kinds = found.Where(d => d.GetProperty("filter").GetString()!.Contains(cameraId, StringComparison.Ordinal) || d.GetProperty("subjectId").GetString() == "control1")
                .Select(d => d.GetProperty("what").GetString()).ToHashSet();
            return kinds.IsSupersetOf(["audit-entries", "access-records", "timeline", "misuse-alerts"]) ? found : null;
        }, TimeSpan.FromSeconds(30), "four reads of the record on the record");

        // The test's own waiting above read the entries too, and those reads are on the record as well.
        var events = Assert.Single(reads, d => d.GetProperty("what").GetString() == "audit-entries" && d.GetProperty("reason").GetString() == "Complaint ref C-17");
        Assert.Equal(cameraId, events.GetProperty("subjectId").GetString());
        Assert.Equal($"cameraId={cameraId}&reason=Complaint%20ref%20C-17", events.GetProperty("filter").GetString());
        Assert.True(events.GetProperty("items").GetInt32() >= 2, events.GetRawText());
        Assert.Contains("compliance", events.GetProperty("readerRoles").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains(reads, d => d.GetProperty("what").GetString() == "access-records" && d.GetProperty("filter").GetString() == $"cameraId={cameraId}");
        Assert.Contains(reads, d => d.GetProperty("what").GetString() == "timeline" && d.GetProperty("reason").GetString() == "Replay for C-17" && d.GetProperty("items").GetInt32() >= 2);
        Assert.Contains(reads, d => d.GetProperty("what").GetString() == "misuse-alerts" && d.GetProperty("subjectId").GetString() == "control1");
    }

    [Fact]
    public async Task The_record_cannot_be_changed_deleted_or_emptied_by_audits_own_role()
    {
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        var seq = (await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 2))[1].GetProperty("seq").GetInt64();

        await using var connection = new NpgsqlConnection(system.Database);
        await connection.OpenAsync();
        foreach (var sql in new[]
                 {
                     "UPDATE audit.mt_events SET data = jsonb_set(data, '{entry,actorId}', '\"mallory\"') WHERE stream_id = 'audit-chain' AND version = @seq",
                     "DELETE FROM audit.mt_events WHERE stream_id = 'audit-chain' AND version = @seq",
                     "TRUNCATE audit.mt_events",
                 })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("seq", seq);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            // No privilege (42501), whether the grant or the trigger said so.
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }

        // Even with the privilege given back, the trigger refuses.
        await ExecuteAsync(connection, "GRANT UPDATE, DELETE ON audit.mt_events TO CURRENT_USER");
        try
        {
            await using var delete = new NpgsqlCommand("DELETE FROM audit.mt_events WHERE stream_id = 'audit-chain' AND version = @seq", connection);
            delete.Parameters.AddWithValue("seq", seq);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());
            Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        }
        finally
        {
            await ExecuteAsync(connection, "REVOKE UPDATE, DELETE ON audit.mt_events FROM CURRENT_USER");
        }

        Assert.True((await VerifyAsync()).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task A_rebuild_from_the_streams_puts_a_changed_query_document_right_and_shows_its_progress()
    {
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        var seq = (await system.AuditEventsEventuallyAsync($"cameraId={cameraId}"))[0].GetProperty("seq").GetInt64();
        await ExecuteAsync("UPDATE audit.mt_doc_auditentry SET data = jsonb_set(data, '{actorId}', '\"mallory\"') WHERE id = @seq RETURNING data::text", seq, null);
        Assert.Equal(seq, (await VerifyAsync()).GetProperty("firstBrokenSeq").GetInt64());
        // An indexed column changed on its own hides the entry from queries by camera: found too.
        await ExecuteAsync("UPDATE audit.mt_doc_auditentry SET camera_id = 'elsewhere' WHERE id = @seq RETURNING data::text", seq, null);
        Assert.DoesNotContain(await system.AuditEventsAsync($"cameraId={cameraId}"), e => e.GetProperty("seq").GetInt64() == seq);
        Assert.Equal(seq, (await VerifyAsync()).GetProperty("firstBrokenSeq").GetInt64());
        using var admin = await system.ClientForAsync("admin");
        using var officer = await system.ClientForAsync("officer1");
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.PostAsync("api/audit/rebuild", null)).StatusCode);

        var status = await RebuildAsync(admin, "api/audit/rebuild");
        Assert.True(status.GetProperty("total").GetInt64() >= seq);
        Assert.Equal(status.GetProperty("total").GetInt64(), status.GetProperty("processed").GetInt64());
        Assert.Equal("admin", status.GetProperty("startedBy").GetString());
        // Only documents that differed from the stream were written.
        Assert.InRange(status.GetProperty("rewritten").GetInt64(), 1, status.GetProperty("total").GetInt64() - 1);
        var verified = await VerifyAsync();
        Assert.True(verified.GetProperty("ok").GetBoolean(), verified.GetRawText());
        var entry = (await system.AuditEventsAsync($"cameraId={cameraId}")).Single(e => e.GetProperty("seq").GetInt64() == seq);
        Assert.Equal("admin", entry.GetProperty("actorId").GetString());

        // A full rebuild writes every document, and leaves the chain verifying.
        var full = await RebuildAsync(admin, "api/audit/rebuild?full=true");
        Assert.True(full.GetProperty("full").GetBoolean());
        Assert.Equal(full.GetProperty("total").GetInt64(), full.GetProperty("rewritten").GetInt64());
        Assert.True((await VerifyAsync()).GetProperty("ok").GetBoolean());
        using var bad = await admin.PostAsync("api/audit/rebuild?full=maybe", null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<JsonElement> RebuildAsync(HttpClient admin, string route)
    {
        using var started = await admin.PostAsync(route, null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var done = await Eventually.Async(async () =>
        {
            var status = await admin.GetFromJsonAsync<JsonElement>("api/audit/rebuild");
            Assert.NotEqual("failed", status.GetProperty("state").GetString());
            return status.GetProperty("state").GetString() == "done" ? (object)status : null;
        }, TimeSpan.FromSeconds(60), "the rebuild to finish");
        return (JsonElement)done;
    }

    [Fact]
    public async Task A_checkpoint_verifies_with_the_published_key_and_fails_with_another()
    {
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        var entry = (await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 2))[^1];
        var seq = entry.GetProperty("seq").GetInt64();
        using var compliance = await system.ClientForAsync("compliance1");

        // Checkpoints are signed every few seconds: wait for one that covers this entry.
        var list = await Eventually.Async(async () =>
        {
            var answer = await compliance.GetFromJsonAsync<JsonElement>("api/audit/checkpoints?limit=1");
            var newest = answer.GetProperty("checkpoints").EnumerateArray().FirstOrDefault();
            return newest.ValueKind == JsonValueKind.Object && newest.GetProperty("seq").GetInt64() >= seq ? (object)answer : null;
        }, TimeSpan.FromSeconds(30), "a checkpoint covering the new entry");
        var published = (JsonElement)list;
        var checkpoint = published.GetProperty("checkpoints")[0];
        var signed = System.Text.Encoding.UTF8.GetBytes(
            $"{checkpoint.GetProperty("seq").GetInt64()}\n{checkpoint.GetProperty("hash").GetString()}\n{checkpoint.GetProperty("at").GetDateTimeOffset().UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'}");
        var signature = Convert.FromBase64String(checkpoint.GetProperty("signature").GetString()!);
        using var key = System.Security.Cryptography.RSA.Create();
        key.ImportFromPem(published.GetProperty("publicKeyPem").GetString());
        using var another = System.Security.Cryptography.RSA.Create(2048);

        Assert.True(key.VerifyData(signed, signature, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1));
        Assert.False(another.VerifyData(signed, signature, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1));
        var verified = await VerifyAsync();
        Assert.True(verified.GetProperty("ok").GetBoolean(), verified.GetRawText());
        Assert.True(verified.GetProperty("lastCheckpoint").GetProperty("seq").GetInt64() >= seq);
    }

    [Theory]
    [InlineData("from=0")]
    [InlineData("from=5&to=4")]
    public async Task A_bad_range_is_a_400(string query)
    {
        using var compliance = await system.ClientForAsync("compliance1");

        using var response = await compliance.GetAsync($"api/audit/verify?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("incidentRef=I&cameraId=C")]
    [InlineData("cameraId=C&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("cameraId=C&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")]
    public async Task A_timeline_asked_for_neither_or_both_or_a_bad_window_is_a_400(string query)
    {
        using var compliance = await system.ClientForAsync("compliance1");

        using var response = await compliance.GetAsync($"api/audit/timeline?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Only_compliance_and_admin_verify()
    {
        using var officer = await system.ClientForAsync("officer1");

        using var response = await officer.GetAsync("api/audit/verify");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private async Task<JsonElement> VerifyAsync()
    {
        using var compliance = await system.ClientForAsync("compliance1");
        return await compliance.GetFromJsonAsync<JsonElement>("api/audit/verify");
    }

    /// <summary>Runs an update and returns the row's data as it was before.</summary>
    private async Task<string> ExecuteAsync(string sql, long seq, string? original)
    {
        await using var connection = new NpgsqlConnection(system.Database);
        await connection.OpenAsync();
        await using var before = new NpgsqlCommand(
            sql.Contains("mt_events", StringComparison.Ordinal)
                ? "SELECT data::text FROM audit.mt_events WHERE stream_id = 'audit-chain' AND version = @seq"
                : "SELECT data::text FROM audit.mt_doc_auditentry WHERE id = @seq", connection);
        before.Parameters.AddWithValue("seq", seq);
        var previous = (string)(await before.ExecuteScalarAsync())!;
        var events = sql.Contains("mt_events", StringComparison.Ordinal);
        // The event table is append-only to audit's role, which here (one role for every service)
        // also owns it: an insider with that role's password gives the privilege back and turns the
        // trigger off first, as this does, and puts both back after.
        if (events)
        {
            await ExecuteAsync(connection, $"GRANT UPDATE ON audit.mt_events TO CURRENT_USER; ALTER TABLE audit.mt_events DISABLE TRIGGER {AppendOnly}");
        }

        try
        {
            await using var update = new NpgsqlCommand(sql, connection);
            update.Parameters.AddWithValue("seq", seq);
            if (original is not null)
            {
                update.Parameters.AddWithValue("original", original);
            }

            Assert.NotNull(await update.ExecuteScalarAsync());
        }
        finally
        {
            if (events)
            {
                await ExecuteAsync(connection, $"ALTER TABLE audit.mt_events ENABLE TRIGGER {AppendOnly}; REVOKE UPDATE ON audit.mt_events FROM CURRENT_USER");
            }
        }

        return previous;
    }

    private const string AppendOnly = "bodycam_append_only";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
