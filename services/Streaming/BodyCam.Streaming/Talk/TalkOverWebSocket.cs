using System.Net.WebSockets;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Grants;
using BodyCam.Streaming.Live;
using BodyCam.Streaming.Viewing;

namespace BodyCam.Streaming.Talk;

/// <summary>
/// <c>GET /live/{cameraId}/talk</c>: push-to-talk with the wearer, for a viewer holding a live grant
/// (the stream token as for watching: subprotocol <c>bodycam.token.&lt;token&gt;</c> beside
/// <c>bodycam.talk</c>). The viewer sends binary messages, each one Opus packet; it receives the
/// camera's packets prefixed with one byte (0, the camera) and JSON text messages (<c>joined</c>,
/// <c>camera-connected</c>, <c>camera-absent</c>). The session is on the record from before it opens
/// to its end, and is closed with the reason when the grant is revoked or runs out.
/// </summary>
public static class TalkOverWebSocket
{
    public const string Subprotocol = "bodycam.talk";

    /// <summary>An Opus packet is at most 1275 bytes; anything much larger is not one.</summary>
    public const int MaxPacketBytes = 4000;

    /// <summary>20 ms packets come 50 a second; a client sending four times that is not talking.</summary>
    public const int MaxPacketsPerSecond = 200;

    public static RouteHandlerBuilder MapTalkOverWebSocket(this IEndpointRouteBuilder live) =>
        live.MapGet("/{cameraId}/talk", TalkAsync)
            .AllowAnonymous()
            .WithName("TalkToWearer")
            .WithSummary("Talk with the wearer of a camera you are watching (WebSocket; Opus packets; the stream token as the subprotocol 'bodycam.token.<token>' beside 'bodycam.talk').");

    private static async Task<IResult> TalkAsync(
        HttpContext http, string cameraId, ViewerAdmission admission, TalkRooms rooms, TalkRecords records, GrantBook grants,
        IConfiguration configuration, TimeProvider time, ILogger<TalkRooms> log)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return StreamingProblems.Of(StatusCodes.Status400BadRequest, StreamingProblems.WebSocketRequired, "A WebSocket is required",
                "Talk is a WebSocket: open it with the subprotocols 'bodycam.talk' and 'bodycam.token.<stream token>'.");
        }

        var (pass, refusal) = await admission.TalkerAsync(http, cameraId);
        if (pass is null)
        {
            return refusal!;
        }

        if (rooms.Talking(pass.GrantId))
        {
            return StreamingProblems.Of(StatusCodes.Status409Conflict, StreamingProblems.SessionInUse, "Already talking on this grant",
                $"Grant '{pass.GrantId}' already has a talk open; close it first.");
        }

        var (talkId, startedAt) = (Guid.CreateVersion7().ToString("N"), time.GetUtcNow());
        var correlationId = http.CorrelationId();
        await records.StartedAsync(talkId, pass, startedAt, correlationId, http.RequestAborted);
        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = Subprotocol, KeepAliveInterval = TimeSpan.FromSeconds(15) });
        var viewer = new TalkViewer(socket, talkId, pass, startedAt, configuration.GetValue("Streaming:MaxTalkRecordingBytes", 32 * 1024 * 1024));
        viewer.StartSending(http.RequestAborted);
        var present = rooms.JoinViewer(viewer);
        viewer.Say(new { type = "joined", talkId = viewer.TalkId, speaker = viewer.Speaker, camera = present ? "connected" : "absent" });
        var closing = CloseWhenEndedAsync(viewer);
        var watching = WatchGrantAsync(viewer, grants, records, time, http.RequestAborted);
        try
        {
            await ReceiveAsync(socket, viewer, rooms, time, http.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }
        finally
        {
            rooms.LeaveViewer(viewer);
            viewer.End("viewer-left");
            await closing;
            await watching.ContinueWith(_ => { }, TaskScheduler.Default);
            await records.EndedAsync(viewer, correlationId);
            log.LogInformation("Talk {TalkId} on camera {CameraId} ended: {Reason}", viewer.TalkId, cameraId, viewer.EndReason);
        }

        return Results.Empty;
    }

    /// <summary>When the talk ends (the viewer left, the grant ended, bad audio), the socket closes with the reason.</summary>
    private static async Task CloseWhenEndedAsync(TalkViewer viewer)
    {
        await Task.Delay(Timeout.Infinite, viewer.Ended).ContinueWith(_ => { }, TaskScheduler.Default);
        var status = viewer.EndReason == "viewer-left" ? WebSocketCloseStatus.NormalClosure : WebSocketCloseStatus.PolicyViolation;
        await viewer.CloseAsync(status, viewer.EndDetail is { } detail ? $"{viewer.EndReason}: {detail}" : viewer.EndReason);
    }

    private static async Task ReceiveAsync(WebSocket socket, TalkViewer viewer, TalkRooms rooms, TimeProvider time, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxPacketBytes];
        var second = time.GetUtcNow();
        var inSecond = 0;
        while (!cancellationToken.IsCancellationRequested && viewer.EndReason is null)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (!result.EndOfMessage)
            {
                viewer.End("bad-audio", $"A talk message is one Opus packet of at most {MaxPacketBytes} bytes.");
                return;
            }

            if (result.MessageType != WebSocketMessageType.Binary)
            {
                continue; // text from a viewer means nothing yet; ignored rather than refused
            }

            if ((time.GetUtcNow() - second).TotalSeconds >= 1)
            {
                (second, inSecond) = (time.GetUtcNow(), 0);
            }

            if (++inSecond > MaxPacketsPerSecond)
            {
                viewer.End("bad-audio", $"More than {MaxPacketsPerSecond} packets a second is not speech.");
                return;
            }

            if (result.Count > 0 && !rooms.FromViewer(viewer, buffer.AsSpan(0, result.Count)))
            {
                viewer.End("talk-too-long", "The talk reached the longest recording a session keeps.");
                return;
            }
        }
    }

    /// <summary>
    /// Ends the talk when its grant is revoked or runs out (extensions keep it going), and stores the
    /// recording so far every two seconds.
    /// </summary>
    private static async Task WatchGrantAsync(TalkViewer viewer, GrantBook grants, TalkRecords records, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), time);
        var ticks = 0;
        while (viewer.EndReason is null && await timer.WaitForNextTickAsync(cancellationToken))
        {
            if (++ticks % 8 == 0)
            {
                await records.KeepAsync(viewer, cancellationToken);
            }

            var fact = grants.Find(viewer.Pass.GrantId);
            if (fact?.EndedBecause is { } ended)
            {
                viewer.End(ended, fact.EndDetail);
                return;
            }

            var until = fact?.ExtendedUntil is { } extended && extended > viewer.Pass.ExpiresAt ? extended : viewer.Pass.ExpiresAt;
            if (until <= time.GetUtcNow())
            {
                viewer.End(EndReasons.GrantExpired, "The grant has expired.");
                return;
            }
        }
    }
}
