using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Net.WebSockets;
using System.Text.Json;

namespace BodyCam.Simulator;

/// <summary>
/// The wearer's side of a simulated camera: it follows the camera's notification feed, acknowledges
/// each instruction a moment after it arrives (as an officer glancing at the screen would), reads the
/// instructions it missed while its feed was down, and opens its talk channel when a viewer starts a
/// talk, answering each thing a viewer says with a short tone.
/// </summary>
public sealed class Wearer(HttpClient http, Officer officer, DeviceToken device, Action<string> error)
{
    private static readonly IReadOnlyList<byte[]> Answer = Tone.Packets();
    private readonly SemaphoreSlim _talkOpening = new(1, 1);
    private Task _talk = Task.CompletedTask;
    private long _instructions, _answers;

    public long Instructions => Interlocked.Read(ref _instructions);

    public long Answers => Interlocked.Read(ref _answers);

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await FollowAsync(stop);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException && !stop.IsCancellationRequested)
            {
                error($"notifications of {officer.CameraId}: {e.Message}");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(5), stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task FollowAsync(CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/ingest/cameras/{officer.CameraId}/notifications");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await device.GetAsync(stop));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(stop);
        await foreach (var item in SseParser.Create(body).EnumerateAsync(stop))
        {
            switch (item.EventType)
            {
                case "ready":
                    // What was said while the feed was down.
                    foreach (var missed in await SendAsync<JsonElement[]>(HttpMethod.Get, $"api/streaming/cameras/{officer.CameraId}/messages?state=sent", stop) ?? [])
                    {
                        _ = AcknowledgeAsync(missed.GetProperty("instructionId").GetString()!, stop);
                    }

                    break;
                case "instruction":
                    var id = JsonDocument.Parse(item.Data).RootElement.GetProperty("id").GetString()!;
                    _ = AcknowledgeAsync(id, stop);
                    break;
                case "talk-started":
                    await OpenTalkAsync(stop);
                    break;
            }
        }
    }

    private async Task AcknowledgeAsync(string instructionId, CancellationToken stop)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5), stop);
            await SendAsync<JsonElement>(HttpMethod.Post, $"api/streaming/cameras/{officer.CameraId}/messages/{instructionId}/ack", stop);
            Interlocked.Increment(ref _instructions);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            error($"acknowledging {instructionId} on {officer.CameraId}: {e.Message}");
        }
    }

    private async Task OpenTalkAsync(CancellationToken stop)
    {
        await _talkOpening.WaitAsync(stop);
        try
        {
            if (_talk.IsCompleted)
            {
                _talk = TalkAsync(stop);
            }
        }
        finally
        {
            _talkOpening.Release();
        }
    }

    /// <summary>The talk channel, open while a viewer is in the talk; each pause after speech gets a tone back.</summary>
    private async Task TalkAsync(CancellationToken stop)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {await device.GetAsync(stop)}");
        var address = new UriBuilder(new Uri(http.BaseAddress!, $"api/ingest/cameras/{officer.CameraId}/talk")) { Scheme = http.BaseAddress!.Scheme == "https" ? "wss" : "ws" }.Uri;
        try
        {
            await socket.ConnectAsync(address, stop);
            var viewers = 0;
            var heard = false;
            var buffer = new byte[8192];
            // One receive outstanding at a time, raced against the pause: cancelling a WebSocket
            // receive would abort the socket.
            Task<WebSocketReceiveResult>? receiving = null;
            while (socket.State == WebSocketState.Open)
            {
                receiving ??= socket.ReceiveAsync(buffer, stop);
                // A pause of 700 ms after speech is the viewer waiting for an answer.
                var pause = heard ? TimeSpan.FromMilliseconds(700) : TimeSpan.FromSeconds(viewers > 0 ? 60 : 10);
                if (await Task.WhenAny(receiving, Task.Delay(pause, stop)) != receiving)
                {
                    if (heard)
                    {
                        heard = false;
                        await AnswerAsync(socket, stop);
                        continue;
                    }

                    break; // nobody in the talk for a while: the channel closes
                }

                var result = await receiving;
                receiving = null;
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    var message = JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement;
                    viewers += message.GetProperty("type").GetString() switch { "joined" => 1, "left" => -1, _ => 0 };
                }
                else
                {
                    heard = true;
                }
            }

            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, stop);
            }
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or OperationCanceledException && !stop.IsCancellationRequested)
        {
            error($"talk of {officer.CameraId}: {e.Message}");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task AnswerAsync(ClientWebSocket socket, CancellationToken stop)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        foreach (var packet in Answer)
        {
            await socket.SendAsync(packet, WebSocketMessageType.Binary, endOfMessage: true, stop);
            await pace.WaitForNextTickAsync(stop);
        }

        Interlocked.Increment(ref _answers);
    }

    private async Task<T?> SendAsync<T>(HttpMethod method, string path, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await device.GetAsync(stop));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var response = await http.SendAsync(request, timeout.Token);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(timeout.Token);
    }
}
