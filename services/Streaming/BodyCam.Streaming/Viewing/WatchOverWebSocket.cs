using System.Net.Sockets;
using System.Text;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Live;
using BodyCam.Streaming.Records;

namespace BodyCam.Streaming.Viewing;

/// <summary>
/// <c>GET /live/{cameraId}/ws</c>: the lowest-latency way to watch, for MSE in browsers. Binary
/// messages: the init segment, then the fragments from the latest keyframe, then each new fragment
/// as it arrives. The server closes the socket, with the reason, when the viewer may watch no more.
/// <c>?from=-30s</c> (or <c>-2m</c>) rewinds: the fragments from the last keyframe at or before then,
/// from the stream's rewind buffer, then on to live without a gap.
/// </summary>
public static class WatchOverWebSocket
{
    public static RouteHandlerBuilder MapWatchOverWebSocket(this IEndpointRouteBuilder live) =>
        live.MapGet("/{cameraId}/ws", WatchAsync)
            .AllowAnonymous()
            .WithName("WatchOverWebSocket")
            .WithSummary("Watch a camera live over a WebSocket (stream token as the subprotocol 'bodycam.token.<token>' beside 'bodycam.live', a bearer token, or access_token).");

    private static async Task<IResult> WatchAsync(
        HttpContext http, string cameraId, ViewerAdmission admission, LiveStreams streams, LiveRecords records, IConfiguration configuration, TimeProvider time,
        string? from = null)
    {
        if (!LiveSocket.IsUpgrade(http.Request))
        {
            return StreamingProblems.Of(StatusCodes.Status400BadRequest, StreamingProblems.WebSocketRequired, "A WebSocket is required",
                "This address takes a WebSocket upgrade; for plain HTTP use the LL-HLS playlist at index.m3u8.");
        }

        TimeSpan? back = null;
        if (from is not null)
        {
            if (RewindOf(from) is not { } rewind)
            {
                return ServiceDefaults.Problems.Problem.Invalid("from", "from is how far back to start, as -30s or -2m (at most the rewind buffer, two minutes by default).");
            }

            back = rewind;
        }

        var (pass, refusal) = await admission.AdmitAsync(http, cameraId);
        if (pass is null)
        {
            return refusal!;
        }

        if (streams.Find(cameraId) is not { } stream)
        {
            return StreamingProblems.NotLive(cameraId);
        }

        if (await admission.CheckConcurrencyAsync(http, pass) is { } inUse)
        {
            return inUse;
        }

        var viewer = new WebSocketViewer(pass, http.ClientAddress() ?? "unknown", time.GetUtcNow(),
            configuration.GetValue("Streaming:ViewerQueueFragments", 64),
            configuration.GetValue("Streaming:ViewerQueueBytes", 8 * 1024 * 1024));
        var correlationId = http.CorrelationId();
        await records.SessionStartedAsync(viewer, correlationId, http.RequestAborted);
        streams.Register(viewer);
        LiveSocket? socket = null;
        var listening = Task.CompletedTask;
        try
        {
            // Two sessions on one token that passed the door at the same moment: the later gives way.
            if (await admission.CheckConcurrencyAsync(http, pass, except: viewer) is { } raced)
            {
                return raced;
            }

            socket = await LiveSocket.AcceptAsync(http,
                configuration.GetValue("Streaming:DirectSockets", true),
                configuration.GetValue("Streaming:ViewerSendBufferBytes", 1024 * 1024));
            using var abort = socket.AbortOn(viewer.Aborted);
            listening = ListenAsync(socket, viewer);
            await SendAsync(socket, viewer, stream, back);
            await CloseAsync(socket, viewer);
            // Give the viewer a moment to answer the close; then the connection ends either way.
            await Task.WhenAny(listening, Task.Delay(TimeSpan.FromSeconds(1)));
        }
        finally
        {
            if (socket is not null)
            {
                await socket.EndAsync(listening);
            }

            viewer.End(EndReasons.ViewerLeft);
            stream.Leave(viewer);
            streams.Unregister(viewer);
            await records.SessionEndedAsync(viewer, correlationId);
        }

        return Results.Empty;
    }

    /// <summary><c>-30s</c>, <c>-90s</c>, <c>-2m</c>: how far back; null for anything else or more than an hour.</summary>
    public static TimeSpan? RewindOf(string from)
    {
        if (from.Length is < 3 or > 8 || from[0] != '-' || from[^1] is not ('s' or 'm')
            || !int.TryParse(from.AsSpan(1, from.Length - 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }

        var back = from[^1] == 'm' ? TimeSpan.FromMinutes(amount) : TimeSpan.FromSeconds(amount);
        return back <= TimeSpan.FromHours(1) ? back : null;
    }

    private static async Task SendAsync(LiveSocket socket, WebSocketViewer viewer, LiveStream stream, TimeSpan? back)
    {
        try
        {
            await socket.SendBinaryAsync(stream.Init.Bytes.AsSpan(), viewer.Aborted);
            viewer.Count(stream.Init.Bytes.Length);
            if (!stream.Join(viewer, back))
            {
                viewer.End(EndReasons.StreamEnded, "The camera is no longer live.");
            }

            // A rewind: the kept fragments first, then the live ones queued meanwhile.
            if (viewer.Backlog is { } backlog)
            {
                viewer.Backlog = null;
                var written = 0;
                try
                {
                    for (; written < backlog.Count; written++)
                    {
                        await socket.SendMessageAsync(backlog[written].Message, viewer.Aborted);
                        viewer.Count(backlog[written].Length);
                        backlog[written].Release();
                    }
                }
                finally
                {
                    for (; written < backlog.Count; written++)
                    {
                        backlog[written].Release();
                    }
                }
            }

            while (await viewer.Queue.WaitToReadAsync())
            {
                while (viewer.Queue.TryRead(out var fragment))
                {
                    try
                    {
                        await socket.SendMessageAsync(fragment.Message, viewer.Aborted);
                    }
                    finally
                    {
                        viewer.Sent(fragment);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            viewer.End(EndReasons.ViewerLeft);
        }
    }

    /// <summary>Reads what the viewer sends; when it closes or goes away, the session ends.</summary>
    private static async Task ListenAsync(LiveSocket socket, WebSocketViewer viewer)
    {
        try
        {
            await socket.ListenAsync(viewer.Aborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }

        viewer.End(EndReasons.ViewerLeft);
    }

    private static async Task CloseAsync(LiveSocket socket, WebSocketViewer viewer)
    {
        var (status, reason) = viewer.EndReason switch
        {
            EndReasons.ViewerLeft => (1000, EndReasons.ViewerLeft),
            EndReasons.StreamEnded or EndReasons.ServiceStopping => (1001, viewer.EndReason),
            // 1013, try again later: the viewer could not keep up.
            EndReasons.TooSlow => (1013, EndReasons.TooSlow),
            // 1008, policy violation: the viewer may no longer watch.
            var other => (1008, other ?? EndReasons.ViewerLeft),
        };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.CloseAsync(status, CloseDescription(reason, viewer.EndDetail), timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    /// <summary>"reason: detail", cut to the 123 bytes a close frame allows.</summary>
    internal static string CloseDescription(string reason, string? detail)
    {
        var text = detail is null ? reason : $"{reason}: {detail}";
        if (Encoding.UTF8.GetByteCount(text) <= 123)
        {
            return text;
        }

        var length = Math.Min(text.Length, 123);
        while (Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > 120)
        {
            length--;
        }

        return text[..length] + "…";
    }
}
