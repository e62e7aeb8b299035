using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using BodyCam.Streaming.Live;

namespace BodyCam.Streaming.Talk;

/// <summary>
/// One end of a talk channel: its WebSocket and a short queue of messages to send it. Audio that
/// cannot be sent in time is dropped, oldest first (late speech is worse than a gap), and never holds
/// up the other end.
/// </summary>
public class TalkParty(WebSocket socket)
{
    /// <summary>About two seconds of 20 ms frames.</summary>
    private const int QueueMessages = 100;

    private readonly Channel<(WebSocketMessageType Type, byte[] Bytes)> _out =
        Channel.CreateBounded<(WebSocketMessageType, byte[])>(new BoundedChannelOptions(QueueMessages) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public WebSocket Socket => socket;

    public void Post(byte[] bytes) => _out.Writer.TryWrite((WebSocketMessageType.Binary, bytes));

    public void Say(object message) => _out.Writer.TryWrite((WebSocketMessageType.Text, JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web)));

    private Task _sending = Task.CompletedTask;

    public void Complete() => _out.Writer.TryComplete();

    /// <summary>Starts sending what is queued, until <see cref="Complete"/> or the connection fails.</summary>
    public void StartSending(CancellationToken connectionLost) => _sending = SendAsync(connectionLost);

    private async Task SendAsync(CancellationToken connectionLost)
    {
        try
        {
            // Not cancelled on purpose: cancelling a WebSocket operation aborts the socket, and a talk
            // that ends (a revoked grant) closes with its reason instead.
            await foreach (var (type, bytes) in _out.Reader.ReadAllAsync(CancellationToken.None))
            {
                await socket.SendAsync(bytes, type, endOfMessage: true, connectionLost);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
        }
    }

    /// <summary>
    /// Sends what is queued, then the close with its reason; the receiving side ends when the other
    /// end answers the close, or the socket is aborted if it does not within two seconds.
    /// </summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string? reason)
    {
        Complete();
        await Task.WhenAny(_sending, Task.Delay(TimeSpan.FromSeconds(1)));
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await socket.CloseOutputAsync(status, reason is null ? null : reason[..Math.Min(reason.Length, 120)], timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
            {
            }
        }

        _ = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ =>
        {
            if (socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
            {
                socket.Abort();
            }
        }, TaskScheduler.Default);
    }
}

/// <summary>A viewer in a talk: who, on which grant, their speaker number on the camera's channel, and what is kept as evidence.</summary>
public sealed class TalkViewer(WebSocket socket, string talkId, ViewerPass pass, DateTimeOffset startedAt, int maxRecordingBytes) : TalkParty(socket)
{
    private readonly CancellationTokenSource _ended = new();

    public string TalkId => talkId;

    public ViewerPass Pass => pass;

    public DateTimeOffset StartedAt => startedAt;

    public byte Speaker { get; set; }

    public TalkRecording Recording { get; } = new(startedAt, maxRecordingBytes);

    public int FramesFromViewer;

    public int FramesFromCamera;

    public string? EndReason { get; private set; }

    public string? EndDetail { get; private set; }

    public CancellationToken Ended => _ended.Token;

    public void End(string reason, string? detail = null)
    {
        lock (_ended)
        {
            if (EndReason is not null)
            {
                return;
            }

            (EndReason, EndDetail) = (reason, detail);
        }

        _ended.Cancel();
    }
}

/// <summary>
/// The talk channels open on this streaming instance, one room per camera: the camera's own channel
/// (at most one) and every viewer who joined. A viewer's audio goes to the camera, tagged with the
/// viewer's speaker number; the camera's goes to every viewer in the room, tagged 0. The server does
/// not decode, mix or transcode (docs/decisions.md): it relays Opus packets as they came and keeps
/// each session's packets, both ways, as evidence.
/// </summary>
public sealed class TalkRooms
{
    public const byte CameraSpeaker = 0;

    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    private sealed class Room
    {
        public TalkParty? Camera;
        public readonly Dictionary<string, TalkViewer> Viewers = new(StringComparer.Ordinal);
        public byte NextSpeaker = 1;
    }

    private Room RoomOf(string cameraId) => _rooms.GetOrAdd(cameraId, _ => new Room());

    /// <summary>Whether a talk on this grant is open (one at a time per grant, as for watching).</summary>
    public bool Talking(string grantId) =>
        _rooms.Values.Any(r => { lock (r) { return r.Viewers.Values.Any(v => v.Pass.GrantId == grantId && v.EndReason is null); } });

    /// <summary>The viewer joins the camera's room; the camera, if connected, is told who. Returns whether it is.</summary>
    public bool JoinViewer(TalkViewer viewer)
    {
        var room = RoomOf(viewer.Pass.CameraId);
        lock (room)
        {
            // Speaker numbers 1 to 255, reused only after a long while.
            viewer.Speaker = room.NextSpeaker;
            room.NextSpeaker = (byte)(room.NextSpeaker == byte.MaxValue ? 1 : room.NextSpeaker + 1);
            room.Viewers[viewer.TalkId] = viewer;
            room.Camera?.Say(Joined(viewer));
            return room.Camera is not null;
        }
    }

    public void LeaveViewer(TalkViewer viewer)
    {
        var room = RoomOf(viewer.Pass.CameraId);
        lock (room)
        {
            if (room.Viewers.Remove(viewer.TalkId))
            {
                room.Camera?.Say(new { type = "left", speaker = viewer.Speaker, viewerId = viewer.Pass.ViewerId, talkId = viewer.TalkId });
            }
        }
    }

    /// <summary>The camera's channel connects (a second connection replaces the first); it is told who is in the room.</summary>
    public TalkParty? JoinCamera(string cameraId, TalkParty camera)
    {
        var room = RoomOf(cameraId);
        lock (room)
        {
            var replaced = room.Camera;
            room.Camera = camera;
            foreach (var viewer in room.Viewers.Values)
            {
                camera.Say(Joined(viewer));
                viewer.Say(new { type = "camera-connected" });
            }

            return replaced;
        }
    }

    public void LeaveCamera(string cameraId, TalkParty camera)
    {
        var room = RoomOf(cameraId);
        lock (room)
        {
            if (room.Camera == camera)
            {
                room.Camera = null;
                foreach (var viewer in room.Viewers.Values)
                {
                    viewer.Say(new { type = "camera-absent" });
                }
            }
        }
    }

    /// <summary>A packet from a viewer: kept, and relayed to the camera tagged with the viewer's speaker number.</summary>
    public bool FromViewer(TalkViewer viewer, ReadOnlySpan<byte> packet)
    {
        Interlocked.Increment(ref viewer.FramesFromViewer);
        if (!viewer.Recording.Add(viewer.Speaker, packet))
        {
            return false;
        }

        var room = RoomOf(viewer.Pass.CameraId);
        lock (room)
        {
            room.Camera?.Post(Tagged(viewer.Speaker, packet));
        }

        return true;
    }

    /// <summary>A packet from the camera: relayed to every viewer in the room (tagged 0), and kept in each of their sessions.</summary>
    public void FromCamera(string cameraId, ReadOnlySpan<byte> packet)
    {
        var room = RoomOf(cameraId);
        var tagged = Tagged(CameraSpeaker, packet);
        lock (room)
        {
            foreach (var viewer in room.Viewers.Values)
            {
                Interlocked.Increment(ref viewer.FramesFromCamera);
                if (viewer.Recording.Add(CameraSpeaker, packet))
                {
                    viewer.Post(tagged);
                }
                else
                {
                    viewer.End("talk-too-long", "The talk reached the longest recording a session keeps.");
                }
            }
        }
    }

    private static object Joined(TalkViewer viewer) =>
        new { type = "joined", speaker = viewer.Speaker, viewerId = viewer.Pass.ViewerId, talkId = viewer.TalkId, grantId = viewer.Pass.GrantId };

    private static byte[] Tagged(byte speaker, ReadOnlySpan<byte> packet)
    {
        var bytes = new byte[packet.Length + 1];
        bytes[0] = speaker;
        packet.CopyTo(bytes.AsSpan(1));
        return bytes;
    }
}
