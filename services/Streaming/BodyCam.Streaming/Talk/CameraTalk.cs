using System.Net.WebSockets;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;

namespace BodyCam.Streaming.Talk;

/// <summary>
/// <c>GET /api/streaming/cameras/{cameraId}/talk</c> (also at <c>/api/ingest/cameras/{cameraId}/talk</c>
/// through the gateway; the camera's device token): the camera's audio channel. It receives each
/// viewer's Opus packets prefixed with one byte (the viewer's speaker number, announced in a JSON text
/// message <c>joined</c> with who it is, and <c>left</c>), and sends its own packets, which reach every
/// viewer in the talk. A camera opens it when told <c>talk-started</c> on its notification feed, or
/// keeps it open while it records; a second connection replaces the first.
/// </summary>
public static class CameraTalk
{
    public static RouteHandlerBuilder MapCameraTalk(this RouteGroupBuilder cameras) =>
        cameras.MapGet("/{cameraId}/talk", TalkAsync)
            .RequireRoles(Roles.Device)
            .WithName("CameraTalkChannel")
            .WithSummary("The camera's talk channel (WebSocket): viewers' Opus packets in, the wearer's out.");

    private static async Task<IResult> TalkAsync(HttpContext http, string cameraId, TalkRooms rooms, AccessRefusals refusals)
    {
        if (await OwnCamera.RefuseUnlessAsync(http, cameraId, refusals) is { } refused)
        {
            return refused;
        }

        if (!http.WebSockets.IsWebSocketRequest)
        {
            return StreamingProblems.Of(StatusCodes.Status400BadRequest, StreamingProblems.WebSocketRequired, "A WebSocket is required",
                "The talk channel is a WebSocket.");
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        var camera = new TalkParty(socket);
        camera.StartSending(http.RequestAborted);
        if (rooms.JoinCamera(cameraId, camera) is { } replaced)
        {
            await replaced.CloseAsync(WebSocketCloseStatus.PolicyViolation, "replaced: the camera opened its talk channel again");
        }

        var buffer = new byte[TalkOverWebSocket.MaxPacketBytes];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), http.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close || !result.EndOfMessage)
                {
                    break;
                }

                if (result.MessageType == WebSocketMessageType.Binary && result.Count > 0)
                {
                    rooms.FromCamera(cameraId, buffer.AsSpan(0, result.Count));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }
        finally
        {
            rooms.LeaveCamera(cameraId, camera);
            await camera.CloseAsync(WebSocketCloseStatus.NormalClosure, null);
        }

        return Results.Empty;
    }
}
