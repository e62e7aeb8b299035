using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// Viewers as an attacker would try them: a stream token for a grant that was never issued, a copied
/// token used beside its viewer, a revoke racing the connection, a token holding compliance among
/// other roles, and a camera sending faster than it may.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class HostileViewerTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_stream_token_for_a_grant_authorisation_never_issued_is_refused_though_its_signature_holds()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        // An insider with authorisation's signing key makes a token for a grant that does not exist:
        // streaming has not heard of the grant, asks authorisation, and is told there is none.
        using var key = TokenForge.LoadKey(Path.Combine(Path.GetDirectoryName(system.SigningKeyFile)!, "stream-token-signing.pem"));
        var token = TokenForge.Sign(key, "bodycam-authorisation", "bodycam-streaming", DateTime.UtcNow.AddMinutes(5), new Dictionary<string, object>
        {
            ["sub"] = "officer1", ["grant_id"] = Guid.NewGuid().ToString("N"), ["camera_id"] = camera.CameraId, ["purpose"] = "officer-safety",
        });

        var (status, bytes) = await LiveViewer.RefusedAsync(system, camera.CameraId, token);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public async Task A_copied_stream_token_cannot_open_a_second_session_beside_its_viewer()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.WaitForMessagesAsync(2);

        var (status, bytes) = await LiveViewer.RefusedAsync(system, camera.CameraId, token);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(0, bytes);
        Assert.False(viewer.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_browser_offers_the_token_as_a_subprotocol_and_gets_ours_echoed_never_the_token()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("bodycam.live");
        socket.Options.AddSubProtocol($"bodycam.token.{token}");

        await socket.ConnectAsync(LiveViewer.Address(system, camera.CameraId, token: null), CancellationToken.None);

        Assert.Equal("bodycam.live", socket.SubProtocol);
        var buffer = new byte[1024 * 1024];
        var first = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Binary, first.MessageType);
        Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(buffer, 4, 4));
    }

    [Fact]
    public async Task Two_hundred_connect_then_revoke_races_leave_no_session_alive_a_second_later()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        using var control = await system.ClientForAsync("control1");
        using var supervisor = await system.ClientForAsync("supervisor1");
        var open = 0;
        for (var batch = 0; batch < 20; batch++)
        {
            var races = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
            {
                using var granted = await control.PostAsJsonAsync("api/authorisation/view-requests",
                    new { cameraId = camera.CameraId, purpose = "resource-deployment", reason = "Race between a revoke and a connection", incidentRef = "INC-RACE-1" });
                Assert.True(granted.StatusCode == HttpStatusCode.Created, await granted.Content.ReadAsStringAsync());
                var grant = await granted.Content.ReadFromJsonAsync<JsonElement>();
                var socket = new ClientWebSocket();
                var connecting = socket.ConnectAsync(LiveViewer.Address(system, camera.CameraId, grant.GetProperty("streamToken").GetString()), CancellationToken.None);
                using var revoked = await supervisor.PostAsJsonAsync($"api/authorisation/grants/{grant.GetProperty("grantId").GetString()}/revoke", new { reason = "Race" });
                Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
                try
                {
                    await connecting;
                }
                catch (WebSocketException)
                {
                    // Refused at the door: the revoke was there first.
                }

                return socket;
            }));

            foreach (var socket in races)
            {
                open += await StillReceivingAsync(socket) ? 1 : 0;
                socket.Abort();
                socket.Dispose();
            }
        }

        Assert.Equal(0, open);
    }

    [Fact]
    public async Task A_token_holding_compliance_beside_another_role_is_refused_a_live_view()
    {
        var camera = await system.RecordingCameraAsync();
        using var key = TokenForge.LoadKey(system.SigningKeyFile);
        var dual = TokenForge.Sign(key, system.GatewayAddress.ToString(), "bodycam", DateTime.UtcNow.AddMinutes(10), new Dictionary<string, object>
        {
            ["sub"] = "dual-role-1", ["role"] = new[] { "control-room", "compliance" },
        });
        using var http = system.Client(dual);

        using var response = await http.PostAsJsonAsync("api/authorisation/view-requests",
            new { cameraId = camera.CameraId, purpose = "watch-me-response", reason = "Answering a Watch Me from the control room" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("compliance-never-watches", (await response.ProblemAsync()).GetProperty("rule").GetString());
    }

    [Fact]
    public async Task A_device_sending_faster_than_its_limit_gets_429_problems_with_retry_after()
    {
        var camera = await system.EnlistAsync();
        var here = Spot.Random();

        var responses = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            camera.ReportAsync((DateTimeOffset.UtcNow.AddMilliseconds(-i), here))));

        var throttled = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(throttled);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal("urn:bodycam:problem:too-many-requests", (await throttled[0].ProblemAsync()).GetProperty("type").GetString());
        Assert.True(throttled[0].Headers.RetryAfter is not null);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    /// <summary>Whether a socket is open and still getting media: a session the revoke missed.</summary>
    private static async Task<bool> StillReceivingAsync(ClientWebSocket socket)
    {
        if (socket.State != WebSocketState.Open)
        {
            return false;
        }

        // A revoked session is closed with its reason; what it had queued may arrive first.
        var buffer = new byte[1024 * 1024];
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, wait.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return false;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Still open, and no close, seconds on: the revoke missed it.
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
    }
}
