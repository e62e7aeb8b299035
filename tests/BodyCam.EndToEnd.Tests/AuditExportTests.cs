using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using BodyCam.EndToEnd.Tests.Streaming;
using BodyCam.Audit.Tree;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>An export of the chain verifies on its own with the command-line verifier, and a changed byte is found at its seq.</summary>
[Collection(SystemCollection.Name)]
public sealed class AuditExportTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_json_export_verifies_with_the_command_line_verifier_checkpoints_included()
    {
        var checkpointed = await CheckpointedSeqAsync();
        using var compliance = await system.ClientForAsync("compliance1");

        var json = await compliance.GetStringAsync($"api/audit/export?format=json&from=1&to={checkpointed}");

        var (exit, output) = await VerifyAsync(json, ".json");
        Assert.True(exit == 0, output);
        Assert.Contains($"Chain intact: {checkpointed} entries, seq 1 to {checkpointed}", output);
        Assert.Contains("Checkpoints verified", output);
    }

    [Fact]
    public async Task An_export_verifies_against_the_logs_tree_offline_with_the_keys_and_a_checkpoint_held_from_before()
    {
        using var compliance = await system.ClientForAsync("compliance1");
        await system.RegisterCameraAsync(Api.NewCameraId());
        var held = await WitnessedCheckpointAsync(system, compliance);
        var heldFile = Path.Combine(Path.GetTempPath(), $"bodycam-checkpoint-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(heldFile, held);
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        var entry = (await system.AuditEventsEventuallyAsync($"cameraId={cameraId}"))[0];
        using var stranger = NoteSigner.Load(null, BodyCamSystem.LogOrigin);
        var strangerKey = SignedNote.VerifierKey(stranger.Name, SignedNote.Ed25519Type, stranger.PublicKey);
        try
        {
            var json = await compliance.GetStringAsync($"api/audit/export?format=json&from=1&reason={Uri.EscapeDataString("ICO request 2026/114")}");

            var (exit, output) = await VerifyAsync(json, ".json", "--log-key", system.LogKey, "--witness-key", system.WitnessKey, "--checkpoint", heldFile);
            Assert.True(exit == 0, output);
            Assert.Contains("Tree verified", output);
            Assert.Contains("the checkpoint given", output);

            // Another log's key does not check this log's checkpoints.
            (exit, output) = await VerifyAsync(json, ".json", "--log-key", strangerKey);
            Assert.True(exit == 1, output);
            Assert.Contains("not signed by the log's key", output);

            // One entry alone: its inclusion proof and a checkpoint are enough; changed, it is not in the tree.
            var seq = entry.GetProperty("seq").GetInt64();
            var checkpoint = await WitnessedCheckpointAsync(system, compliance, seq);
            await File.WriteAllTextAsync(heldFile, checkpoint);
            var size = long.Parse(checkpoint.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
            var proof = await compliance.GetStringAsync($"api/audit/proofs/inclusion?seq={seq}&treeSize={size}");
            await File.WriteAllTextAsync(heldFile + ".entry.json", entry.GetRawText());
            await File.WriteAllTextAsync(heldFile + ".proof.json", proof);
            (exit, output) = await VerifierAsync("entry", "--entry", heldFile + ".entry.json", "--proof", heldFile + ".proof.json", "--checkpoint", heldFile, "--log-key", system.LogKey, "--witness-key", system.WitnessKey);
            Assert.True(exit == 0, output);
            Assert.Contains($"seq {seq} is in the log's tree", output);
            await File.WriteAllTextAsync(heldFile + ".entry.json", entry.GetRawText().Replace(cameraId, "CAM-SOMEONE-ELSE", StringComparison.Ordinal));
            (exit, output) = await VerifierAsync("entry", "--entry", heldFile + ".entry.json", "--proof", heldFile + ".proof.json", "--checkpoint", heldFile, "--log-key", system.LogKey);
            Assert.True(exit == 1, output);

            // The export is a consultation of the record, with the reason the compliance officer gave.
            await Eventually.Async(async () =>
            {
                var reads = await system.AuditEventsAsync("type=PersonalDataRead&limit=1000");
                return reads.Select(r => r.GetProperty("data")).FirstOrDefault(d => d.GetProperty("what").GetString() == "export"
                    && d.GetProperty("reason").GetString() == "ICO request 2026/114") is { ValueKind: JsonValueKind.Object } read ? (object)read : null;
            }, TimeSpan.FromSeconds(30), "the export on the record with its reason");
        }
        finally
        {
            foreach (var f in new[] { heldFile, heldFile + ".entry.json", heldFile + ".proof.json" })
            {
                File.Delete(f);
            }
        }
    }

    /// <summary>The newest checkpoint of the tree once it covers <paramref name="atLeast"/> entries and the witness has cosigned it.</summary>
    internal static async Task<string> WitnessedCheckpointAsync(BodyCamSystem system, HttpClient compliance, long atLeast = 1)
    {
        Assert.True(SignedNote.TryParseVerifierKey(system.WitnessKey, out var witness));
        return await Eventually.Async(async () =>
        {
            using var response = await compliance.GetAsync("api/audit/checkpoint");
            var note = response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
            return note is not null && SignedNote.TryParse(note, out var body, out var signatures)
                && SignedNote.TryReadCheckpoint(body, out _, out var size, out _) && size >= atLeast
                && signatures.Any(s => SignedNote.Verifies(body, s, witness)) ? note : null;
        }, TimeSpan.FromSeconds(30), "a witnessed checkpoint");
    }


    [Fact]
    public async Task A_csv_export_verifies_with_the_command_line_verifier()
    {
        await system.RegisterCameraAsync(Api.NewCameraId());
        using var compliance = await system.ClientForAsync("compliance1");

        using var response = await compliance.GetAsync("api/audit/export?format=csv");
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var csv = await response.Content.ReadAsStringAsync();

        var (exit, output) = await VerifyAsync(csv, ".csv");
        Assert.True(exit == 0, output);
        Assert.StartsWith("seq,at,recordedAt,type,messageId,actorId,subject,data,prevHash,hash", csv);
    }

    [Fact]
    public async Task A_changed_entry_in_an_export_is_found_at_its_seq_and_another_key_fails_the_checkpoints()
    {
        var checkpointed = await CheckpointedSeqAsync();
        using var compliance = await system.ClientForAsync("compliance1");
        var json = await compliance.GetStringAsync($"api/audit/export?format=json&from=1&to={checkpointed}");
        var export = JsonNode.Parse(json)!.AsObject();
        var entries = export["entries"]!.AsArray();
        var target = entries[entries.Count / 2]!;
        var seq = target["seq"]!.GetValue<long>();

        target["actorId"] = "someone-else";
        var (exit, output) = await VerifyAsync(export.ToJsonString(), ".json");
        Assert.Equal(1, exit);
        Assert.Contains($"broken at seq {seq}", output);

        // The untouched export, checked with a key that is not audit's: the checkpoints fail.
        using var other = System.Security.Cryptography.RSA.Create(2048);
        var pem = Path.Combine(Path.GetTempPath(), $"other-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(pem, other.ExportSubjectPublicKeyInfoPem());
        var (wrongKey, wrongOutput) = await VerifyAsync(json, ".json", "--key", pem);
        File.Delete(pem);
        Assert.Equal(1, wrongKey);
        Assert.Contains("is not signed by this key", wrongOutput);
    }

    /// <summary>Waits for a signed checkpoint and returns its sequence number.</summary>
    private async Task<long> CheckpointedSeqAsync()
    {
        await system.RegisterCameraAsync(Api.NewCameraId());
        using var compliance = await system.ClientForAsync("compliance1");
        var list = await Eventually.Async(async () =>
        {
            var body = await compliance.GetFromJsonAsync<JsonElement>("api/audit/checkpoints?limit=1");
            return body.GetProperty("checkpoints").GetArrayLength() > 0 ? (object)body : null;
        }, TimeSpan.FromSeconds(30), "a signed checkpoint");
        return ((JsonElement)list).GetProperty("checkpoints")[0].GetProperty("seq").GetInt64();
    }

    /// <summary>Runs the command-line verifier with <paramref name="arguments"/> as given.</summary>
    internal static Task<(int ExitCode, string Output)> VerifierAsync(params string[] arguments)
    {
        var configuration = typeof(AuditExportTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var verifier = Path.Combine(ServiceProcess.RepositoryRoot(), "infra", "verifier", "BodyCam.AuditVerifier", "bin", configuration, "net10.0", "bodycam-audit-verify.dll");
        return LiveApi.RunAsync("dotnet", [verifier, .. arguments]);
    }

    /// <summary>Runs the command-line verifier on <paramref name="content"/> saved as a file.</summary>
    internal static async Task<(int ExitCode, string Output)> VerifyAsync(string content, string extension, params string[] more)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-export-{Guid.NewGuid():N}{extension}");
        await File.WriteAllTextAsync(file, content);
        try
        {
            return await VerifierAsync([file, .. more]);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
