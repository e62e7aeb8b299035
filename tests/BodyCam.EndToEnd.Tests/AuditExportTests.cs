using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using BodyCam.EndToEnd.Tests.Streaming;
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

    [Theory]
    [InlineData("format=xml", HttpStatusCode.BadRequest)]
    [InlineData("from=yesterday", HttpStatusCode.BadRequest)]
    [InlineData("from=0", HttpStatusCode.BadRequest)]
    [InlineData("from=9&to=3", HttpStatusCode.BadRequest)]
    public async Task Bad_export_requests_are_clear_4xx_problems(string query, HttpStatusCode status)
    {
        using var compliance = await system.ClientForAsync("compliance1");
        using var response = await compliance.GetAsync($"api/audit/export?{query}");

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:invalid-request", (await response.ProblemAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_officer_may_not_export_the_audit()
    {
        using var officer = await system.ClientForAsync("officer1");

        Assert.Equal(HttpStatusCode.Forbidden, (await officer.GetAsync("api/audit/export")).StatusCode);
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

    private static async Task<(int ExitCode, string Output)> VerifyAsync(string content, string extension, params string[] more)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-export-{Guid.NewGuid():N}{extension}");
        await File.WriteAllTextAsync(file, content);
        try
        {
            var configuration = typeof(AuditExportTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var verifier = Path.Combine(ServiceProcess.RepositoryRoot(), "infra", "verifier", "BodyCam.AuditVerifier", "bin", configuration, "net10.0", "bodycam-audit-verify.dll");
            return await LiveApi.RunAsync("dotnet", [verifier, file, .. more]);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
