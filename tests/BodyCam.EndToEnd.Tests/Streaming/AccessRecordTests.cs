using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>An access record holds what a consultation log needs, joined from the chain: the request, the sessions, how it ended.</summary>
[Collection(SystemCollection.Name)]
public sealed class AccessRecordTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_watched_then_revoked_view_is_one_access_record_with_its_session_and_a_refusal_is_another()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (grantId, token) = await system.GrantAsync(camera.CameraId);
        await using (var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token))
        {
            await viewer.WaitForMessagesAsync(3);
            await system.RevokeAsync(grantId, "Backup arrived on scene");
            await viewer.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        }

        using var supervisor = await system.ClientForAsync("supervisor1");
        using var refused = await supervisor.PostAsJsonAsync("api/authorisation/view-requests",
            new { cameraId = camera.CameraId, purpose = "stop-and-search-review", reason = "Checking the search on the high street" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var compliance = await system.ClientForAsync("compliance1");
        var records = await Eventually.Async(async () =>
        {
            var list = await compliance.GetFromJsonAsync<JsonElement[]>($"api/audit/access?cameraId={camera.CameraId}");
            return list!.Length == 2 && list.Any(r => r.GetProperty("sessions").GetArrayLength() == 1 && r.GetProperty("sessions")[0].GetProperty("endedAt").ValueKind == JsonValueKind.String)
                ? list : null;
        }, TimeSpan.FromSeconds(30), "two access records, the watched one with its ended session");

        var watched = records.Single(r => r.GetProperty("grantId").GetString() == grantId);
        Assert.Equal("officer1", watched.GetProperty("viewerId").GetString());
        Assert.Equal("officer", watched.GetProperty("viewerRole").GetString());
        Assert.Equal(camera.OfficerId, watched.GetProperty("officerId").GetString());
        Assert.Equal("officer-safety", watched.GetProperty("purpose").GetString());
        Assert.Equal(LiveApi.Reason, watched.GetProperty("reason").GetString());
        Assert.Equal("purpose-allowed", watched.GetProperty("rule").GetString());
        Assert.False(string.IsNullOrEmpty(watched.GetProperty("policyVersion").GetString()));
        Assert.False(string.IsNullOrEmpty(watched.GetProperty("clientAddress").GetString()));
        Assert.Equal("cut off", watched.GetProperty("outcome").GetString());
        Assert.StartsWith("revoked by supervisor1: Backup arrived on scene", watched.GetProperty("endReason").GetString());
        var session = watched.GetProperty("sessions")[0];
        Assert.Equal("grant-revoked", session.GetProperty("endReason").GetString());
        Assert.True(session.GetProperty("bytes").GetInt64() > 0);
        Assert.True(watched.GetProperty("seqs").GetArrayLength() >= 4);

        var refusal = records.Single(r => r.GetProperty("grantId").GetString() != grantId);
        Assert.Equal("refused", refusal.GetProperty("outcome").GetString());
        Assert.Equal("excluded-purpose", refusal.GetProperty("rule").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await compliance.GetAsync("api/audit/access?limit=5000")).StatusCode);
    }
}
