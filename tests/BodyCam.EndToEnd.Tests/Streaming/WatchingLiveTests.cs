using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;
using Xunit.Abstractions;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// Live video from a real camera (ffmpeg pushing fragmented MP4 through the gateway) to viewers
/// with a grant, and only to them; cut off from the server side when they may watch no more.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class WatchingLiveTests(BodyCamSystem system, ITestOutputHelper output)
{
    [Fact]
    public async Task A_viewer_with_a_grant_receives_the_init_segment_and_fragments_that_ffprobe_accepts()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (grantId, token) = await system.GrantAsync(camera.CameraId);

        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        var messages = await viewer.WaitForMessagesAsync(12);

        Assert.Equal(["ftyp", "moov"], LiveApi.BoxTypes(messages[0]));
        Assert.All(messages.Skip(1), m => Assert.Equal(["moof", "mdat"], LiveApi.BoxTypes(m)));
        var (exit, streams) = await LiveApi.ProbeAsync("ffprobe", messages, "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", "{file}");
        Assert.True(exit == 0, streams);
        Assert.Contains("h264,640,360", streams);
        Assert.Contains("aac", streams);
        var (decoded, errors) = await LiveApi.ProbeAsync("ffmpeg", messages, "-v", "error", "-i", "{file}", "-f", "null", "-");
        Assert.True(decoded == 0 && errors.Trim().Length == 0, errors);

        var started = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=ViewerSessionStarted");
        Assert.Equal(grantId, started[0].GetProperty("data").GetProperty("grantId").GetString());
        Assert.Equal("officer1", started[0].GetProperty("data").GetProperty("viewerId").GetString());
        await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=StreamWentLive");
    }

    [Fact]
    public async Task Without_a_valid_token_for_the_camera_the_handshake_is_refused_and_not_one_media_byte_is_sent()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (other, otherFfmpeg) = await system.LiveCameraAsync();
        await using var __ = otherFfmpeg;
        var (_, tokenForOther) = await system.GrantAsync(other.CameraId);
        using var userToken = await system.ClientForAsync("officer1");
        var forged = tokenForOther[..^6] + (tokenForOther[^6..] == "AAAAAA" ? "BBBBBB" : "AAAAAA");

        Assert.Equal((HttpStatusCode.Unauthorized, 0), await LiveViewer.RefusedAsync(system, camera.CameraId, token: null));
        Assert.Equal((HttpStatusCode.Unauthorized, 0), await LiveViewer.RefusedAsync(system, camera.CameraId, forged));
        Assert.Equal((HttpStatusCode.Unauthorized, 0), await LiveViewer.RefusedAsync(system, camera.CameraId, null, bearer: await system.TokenForAsync("officer1")));
        Assert.Equal((HttpStatusCode.Forbidden, 0), await LiveViewer.RefusedAsync(system, camera.CameraId, tokenForOther));

        // The refusal of a valid token that names its viewer is on the record by itself; the three that
        // prove nothing (none, forged, not a stream token) are counted, with the paths they asked for.
        await Eventually.Async(async () =>
        {
            var items = await system.AuditEventsAsync("type=AccessRefused&limit=500");
            return items.FirstOrDefault(i => i.GetProperty("data").GetProperty("path").GetString() == $"/live/{camera.CameraId}/ws"
                && i.GetProperty("actorId").GetString() == "officer1") is { ValueKind: JsonValueKind.Object } found ? (object)found : null;
        }, TimeSpan.FromSeconds(30), "the refusal of officer1's token for another camera");
        await Eventually.Async(async () =>
        {
            var counts = (await system.AuditEventsAsync("type=UnverifiedAccessRefused&limit=500"))
                .Where(i => i.GetProperty("data").GetProperty("service").GetString() == "streaming"
                    && i.GetProperty("data").GetProperty("paths").EnumerateArray().Any(p => p.GetString() == $"/live/{camera.CameraId}/ws"))
                .Sum(i => i.GetProperty("data").GetProperty("count").GetInt64());
            return counts >= 3 ? (object)counts : null;
        }, TimeSpan.FromSeconds(30), "three counted refusals at the camera's WebSocket");
    }

    [Fact]
    public async Task Revoking_the_grant_closes_the_viewer_from_the_server_with_the_reason()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (grantId, token) = await system.GrantAsync(camera.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.WaitForMessagesAsync(3);

        var revokedAt = DateTime.UtcNow;
        await system.RevokeAsync(grantId, "Incident closed, stand down");
        await viewer.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        var took = viewer.ClosedAt!.Value - revokedAt;
        // How fast is a benchmark's business (a timed assertion flakes on a loaded machine); the log keeps it.
        output.WriteLine($"Revoke answered → viewer closed: {took.TotalMilliseconds:0} ms");

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, viewer.CloseStatus);
        Assert.Equal("grant-revoked: Incident closed, stand down", viewer.CloseDescription);
        // The same token opens nothing any more.
        Assert.Equal((HttpStatusCode.Forbidden, 0), await LiveViewer.RefusedAsync(system, camera.CameraId, token));
        var ended = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=ViewerSessionEnded");
        Assert.Equal("grant-revoked", ended[0].GetProperty("data").GetProperty("reason").GetString());
        Assert.True(ended[0].GetProperty("data").GetProperty("bytes").GetInt64() > 0);
    }

    [Fact]
    public async Task The_camera_stopping_recording_closes_its_viewers()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.WaitForMessagesAsync(3);

        await camera.SetRecordingAsync(false);
        await viewer.Closed.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, viewer.CloseStatus);
        Assert.StartsWith("recording-stopped", viewer.CloseDescription);
        Assert.Equal((HttpStatusCode.Forbidden, 0), await LiveViewer.RefusedAsync(system, camera.CameraId, token));
    }

    [Fact]
    public async Task A_grant_that_runs_out_closes_its_viewer_with_nobody_acting()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId, durationSeconds: 3);
        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);

        await viewer.Closed.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.True(viewer.Count > 1, "The viewer received media while the grant lasted.");
        Assert.StartsWith("grant-expired", viewer.CloseDescription);
        // Refused as an expired token, or as a grant known to have ended: either way, not a byte.
        var (status, bytes) = await LiveViewer.RefusedAsync(system, camera.CameraId, token);
        Assert.Contains(status, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden });
        Assert.Equal(0, bytes);
    }

    [Fact]
    public async Task A_late_joiner_starts_on_a_keyframe()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        // Join in the middle of a group of pictures, not at its start: an early viewer starts on a
        // keyframe, and after its init segment and three 200 ms fragments the 1 s group is half gone.
        var (_, earlyToken) = await system.GrantAsync(camera.CameraId, viewer: "officer2");
        await using var early = await LiveViewer.ConnectAsync(system, camera.CameraId, earlyToken);
        await early.WaitForMessagesAsync(4);

        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        var messages = await viewer.WaitForMessagesAsync(2);

        var (exit, frames) = await LiveApi.ProbeAsync("ffprobe", messages.Take(2), "-v", "error", "-select_streams", "v", "-show_entries", "frame=key_frame", "-of", "csv=p=0", "{file}");
        Assert.True(exit == 0, frames);
        // The first frame's key_frame field (ffprobe adds ",…" when the frame carries side data).
        Assert.Equal("1", frames.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(',')[0].Trim());
    }

    [Fact]
    public async Task A_viewer_rewinds_30_seconds_and_gets_keyframe_aligned_fragments_from_then_then_live()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        using var control = await system.ClientForAsync("control1");
        // The camera has been live a little over 30 s: the rewind buffer holds that far back.
        var live = await Eventually.Async(async () =>
        {
            var streams = await control.GetFromJsonAsync<JsonElement[]>("api/streaming/streams");
            return streams!.FirstOrDefault(s => s.GetProperty("cameraId").GetString() == camera.CameraId) is { ValueKind: JsonValueKind.Object } s
                && s.GetProperty("rewindSeconds").GetDouble() >= 32 ? (object)s : null;
        }, TimeSpan.FromSeconds(90), "32 s in the rewind buffer");
        Assert.InRange(((JsonElement)live).GetProperty("rewindBytes").GetInt64(), 1, 32L * 1024 * 1024);
        var (_, token) = await system.GrantAsync(camera.CameraId);

        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token, "from=-30s");
        // 30 s of 200 ms fragments, then live ones: the first seconds of them at once.
        var messages = await viewer.WaitForMessagesAsync(1 + 150);

        var (exit, frames) = await LiveApi.ProbeAsync("ffprobe", messages.Take(2), "-v", "error", "-select_streams", "v", "-show_entries", "frame=key_frame", "-of", "csv=p=0", "{file}");
        Assert.True(exit == 0, frames);
        Assert.Equal("1", frames.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(',')[0].Trim());
        var (durationExit, duration) = await LiveApi.ProbeAsync("ffprobe", messages, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", "{file}");
        Assert.True(durationExit == 0, duration);
        Assert.InRange(double.Parse(duration.Trim(), System.Globalization.CultureInfo.InvariantCulture), 29.0, 33.0);

        // And on to live: new fragments keep coming.
        await viewer.WaitForMessagesAsync(messages.Length + 10);
    }

    [Fact]
    public async Task A_rewind_asked_as_anything_but_seconds_or_minutes_back_is_refused()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        foreach (var from in new[] { "30s", "-30", "-2h", "-99999m", "-1e3s", "yesterday" })
        {
            using var socket = new System.Net.WebSockets.ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(LiveViewer.Address(system, camera.CameraId, token, $"from={Uri.EscapeDataString(from)}"), CancellationToken.None));
            Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
        }
    }

    [Fact]
    public async Task A_stalled_viewer_is_dropped_while_another_keeps_receiving()
    {
        // A busy camera (noise does not compress) fills a stalled viewer's buffers in seconds.
        var (camera, ffmpeg) = await system.LiveCameraAsync(kbps: 12_000, video: "testsrc2=size=640x360:rate=30,noise=alls=100:allf=t");
        await using var _ = ffmpeg;
        var (grantId, token) = await system.GrantAsync(camera.CameraId);
        var (_, stalledToken) = await system.GrantAsync(camera.CameraId, viewer: "officer2");
        await using var healthy = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        using var stalled = await LiveViewer.ConnectStalledAsync(system, camera.CameraId, stalledToken);

        // The relay drops a viewer once 8 MB or 64 fragments wait for it (some 6 to 13 s of this
        // camera); a busy two-core machine may encode the noise slower than real time.
        var ended = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=ViewerSessionEnded&viewerId=officer2", within: TimeSpan.FromSeconds(90));
        Assert.Equal("viewer-too-slow", ended[0].GetProperty("data").GetProperty("reason").GetString());

        var before = healthy.Count;
        await healthy.WaitForMessagesAsync(before + 5);
        Assert.False(healthy.Closed.IsCompleted);
        Assert.True(ffmpeg.Running, ffmpeg.Log);
        output.WriteLine($"healthy viewer: {healthy.Count} messages; grant {grantId}");
        stalled.Abort();
    }

    [Fact]
    public async Task The_ll_hls_playlist_and_parts_are_valid_and_ffmpeg_reads_them()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        using var http = system.Client(token);

        // Once the first segment is complete, the playlist has both whole segments and parts.
        var playlist = await Eventually.Async(async () =>
        {
            var text = await http.GetStringAsync($"live/{camera.CameraId}/index.m3u8");
            return text.Contains("#EXTINF:", StringComparison.Ordinal) ? text : null;
        }, TimeSpan.FromSeconds(20), "a playlist with a complete segment");
        var lines = playlist.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("#EXTM3U", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("#EXT-X-PART-INF:PART-TARGET=", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=", StringComparison.Ordinal));
        // Parts and segments are fetched with the session's short-lived key; the stream token is in no URI.
        Assert.Contains(lines, l => l.StartsWith("#EXT-X-MAP:URI=\"init.mp4?session=", StringComparison.Ordinal));
        Assert.DoesNotContain(token, playlist, StringComparison.Ordinal);
        var parts = lines.Where(l => l.StartsWith("#EXT-X-PART:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(parts);
        Assert.Contains(lines, l => l.StartsWith("#EXTINF:", StringComparison.Ordinal));
        var hint = lines.Single(l => l.StartsWith("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=", StringComparison.Ordinal));

        // Blocking reload: asking for the hinted part answers once it exists, and the playlist then lists it.
        var hinted = hint.Split('"')[1];
        var msn = long.Parse(hinted[1..hinted.IndexOf('.', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        var part = int.Parse(hinted.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture);
        var blocking = await http.GetStringAsync($"live/{camera.CameraId}/index.m3u8?_HLS_msn={msn}&_HLS_part={part}");
        Assert.Contains($"URI=\"{hinted}\"", blocking);

        var init = await http.GetByteArrayAsync($"live/{camera.CameraId}/init.mp4");
        var firstPart = await http.GetByteArrayAsync($"live/{camera.CameraId}/{parts[0].Split('"')[1]}");
        var (exit, probed) = await LiveApi.ProbeAsync("ffprobe", [init, firstPart], "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", "{file}");
        Assert.True(exit == 0, probed);
        Assert.Contains("h264", probed);

        // A standard player: ffmpeg reads the live playlist with the token as a query parameter.
        var url = new Uri(system.GatewayAddress, $"live/{camera.CameraId}/index.m3u8?access_token={Uri.EscapeDataString(token)}").ToString();
        var (played, errors) = await LiveApi.RunAsync("ffmpeg", "-v", "error", "-i", url, "-t", "2", "-f", "null", "-");
        Assert.True(played == 0, errors);

        using var anonymous = system.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"live/{camera.CameraId}/index.m3u8")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"live/{camera.CameraId}/init.mp4")).StatusCode);
    }

    [Fact]
    public async Task The_ll_hls_playlist_carries_the_rewind_buffer_as_a_dvr_window_a_player_can_seek_into()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        using var http = system.Client(token);

        // The live window is four segments (a second each here); after ten seconds the playlist
        // still starts at the stream's first segment, because the rewind buffer holds it.
        var playlist = await Eventually.Async(async () =>
        {
            var text = await http.GetStringAsync($"live/{camera.CameraId}/index.m3u8");
            return text.Split('\n').Count(l => l.StartsWith("#EXTINF:", StringComparison.Ordinal)) >= 10 ? text : null;
        }, TimeSpan.FromSeconds(40), "a playlist of ten complete segments");
        var lines = playlist.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("#EXT-X-MEDIA-SEQUENCE:0", lines.Single(l => l.StartsWith("#EXT-X-MEDIA-SEQUENCE:", StringComparison.Ordinal)));
        // Parts only for the newest segments; the old ones are whole segments.
        var segments = lines.Where(l => l.StartsWith("s", StringComparison.Ordinal) && l.Contains(".m4s", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("s0.m4s?session=", segments[0], StringComparison.Ordinal);

        // The oldest segment, long out of the live window, is still served, and starts on a keyframe.
        var init = await http.GetByteArrayAsync($"live/{camera.CameraId}/init.mp4");
        var oldest = await http.GetByteArrayAsync($"live/{camera.CameraId}/{segments[0]}");
        var (exit, frames) = await LiveApi.ProbeAsync("ffprobe", [init, oldest], "-v", "error", "-select_streams", "v", "-show_entries", "frame=key_frame", "-of", "csv=p=0", "{file}");
        Assert.True(exit == 0, frames);
        Assert.Equal("1", frames.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(',')[0].Trim());
    }

    [Fact]
    public async Task A_camera_that_reconnects_continues_its_stream_and_its_viewers_keep_watching()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        var (_, token) = await system.GrantAsync(camera.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.WaitForMessagesAsync(4);
        var since = (await system.WaitLiveAsync(camera.CameraId)).GetProperty("since").GetDateTimeOffset();

        ffmpeg.Kill();
        await using var again = FfmpegCamera.Start(system, camera);
        var before = viewer.Count;
        await viewer.WaitForMessagesAsync(before + 8);

        Assert.False(viewer.Closed.IsCompleted);
        // The same stream carried on: live since the first push, not a new one.
        var live = await system.WaitLiveAsync(camera.CameraId, again);
        Assert.Equal(since, live.GetProperty("since").GetDateTimeOffset());
        Assert.True(live.GetProperty("pushing").GetBoolean());
        // What the viewer got across the two pushes decodes as one stream.
        var (exit, errors) = await LiveApi.ProbeAsync("ffmpeg", viewer.Messages, "-v", "error", "-i", "{file}", "-f", "null", "-");
        Assert.True(exit == 0, errors);
        await ffmpeg.DisposeAsync();
    }
}
