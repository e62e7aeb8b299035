using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// A camera whose mobile link drops for ten seconds keeps recording; when it reconnects it goes live
/// again and sends back what it kept, which streaming files into the rewind buffer in its place:
/// a viewer who looks back sees the whole span without a hole, and the stream's record says so.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BackfillTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_camera_that_drops_for_ten_seconds_back_fills_and_the_rewind_buffer_holds_the_whole_span()
    {
        var camera = await system.RecordingCameraAsync();
        await using var uplink = BufferingCamera.Start(system, camera);
        await system.WaitLiveAsync(camera.CameraId);
        using var control = await system.ClientForAsync("control1");
        await StreamAsync(control, camera.CameraId, s => s.GetProperty("rewindSeconds").GetDouble() >= 4, "4 s in the rewind buffer");
        var (_, token) = await system.GrantAsync(camera.CameraId);
        await using var live = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await live.WaitForMessagesAsync(4);

        uplink.Drop();
        await StreamAsync(control, camera.CameraId, s => !s.GetProperty("pushing").GetBoolean(), "the push to drop");
        // The link stays down for ten seconds; the camera records on (fifty 200 ms fragments).
        await Eventually.Async(() => Task.FromResult(uplink.RecordedOffline >= 50 ? (object)true : null), TimeSpan.FromSeconds(30), "ten seconds recorded while the link is down");
        var liveBefore = live.Count;
        using var backfill = await uplink.ReconnectAsync();

        var body = await backfill.Content.ReadAsStringAsync();
        Assert.True(backfill.StatusCode == HttpStatusCode.OK, body);
        var summary = JsonDocument.Parse(body).RootElement;
        // Ten seconds of 200 ms fragments are filed; the few sent just before the drop, which streaming already had, are not.
        Assert.True(summary.GetProperty("filed").GetInt32() >= 45, body);
        Assert.InRange(summary.GetProperty("notFiled").GetInt32(), 1, 10);
        var gap = Assert.Single(summary.GetProperty("gaps").EnumerateArray());
        Assert.InRange(gap.GetProperty("missedSeconds").GetDouble(), 9.5, 20);
        Assert.Equal(gap.GetProperty("missedSeconds").GetDouble(), gap.GetProperty("filledSeconds").GetDouble(), 2);
        Assert.Equal(0, gap.GetProperty("leftSeconds").GetDouble(), 2);
        var listed = await StreamAsync(control, camera.CameraId, s => s.GetProperty("pushing").GetBoolean(), "the camera to push again");
        Assert.Equal(0, Assert.Single(listed.GetProperty("gaps").EnumerateArray()).GetProperty("leftSeconds").GetDouble(), 2);

        // The live viewer was never sent the back-filled fragments as live: it goes on from the reconnection.
        await live.WaitForMessagesAsync(liveBefore + 5);
        var liveTimes = live.Messages.Skip(1).Where(m => LiveApi.BoxTypes(m).FirstOrDefault() == "moof" && Mp4Fragments.HasVideo(m)).Select(Mp4Fragments.DecodeTime).ToList();
        Assert.Contains(liveTimes.Zip(liveTimes.Skip(1)), pair => pair.Second - pair.First > 9 * 15360UL);

        // A viewer who looks back across the drop gets one run of media with no hole, then live.
        var (_, rewindToken) = await system.GrantAsync(camera.CameraId, viewer: "officer2");
        await using var rewind = await LiveViewer.ConnectAsync(system, camera.CameraId, rewindToken, "from=-2m");
        var messages = await rewind.WaitForMessagesAsync(1 + 90);
        var times = messages.Skip(1).Where(m => LiveApi.BoxTypes(m).FirstOrDefault() == "moof" && Mp4Fragments.HasVideo(m)).Select(Mp4Fragments.DecodeTime).ToList();
        var steps = times.Zip(times.Skip(1), (a, b) => (long)b - (long)a).ToList();
        // ffmpeg's video timescale here is 15360 (30 fps): fragments are 200 ms apart, never a second.
        Assert.All(steps, step => Assert.InRange(step, 1, 15360));
        Assert.True(times[^1] - times[0] > 13UL * 15360, $"the run spans {(times[^1] - times[0]) / 15360.0:0.0} s");
        var (exit, errors) = await LiveApi.ProbeAsync("ffmpeg", messages, "-v", "error", "-i", "{file}", "-f", "null", "-");
        Assert.True(exit == 0, errors);

        // The stream's record says when it dropped and came back, and that the gap was filled.
        var liveId = summary.GetProperty("liveId").GetString()!;
        await using var connection = new Npgsql.NpgsqlConnection(system.Database);
        await connection.OpenAsync();
        await using var query = new Npgsql.NpgsqlCommand("select type, data::text from streaming.mt_events where stream_id = @live order by seq_id", connection);
        query.Parameters.AddWithValue("live", liveId);
        var record = new List<(string Type, JsonElement Data)>();
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                record.Add((reader.GetString(0), JsonDocument.Parse(reader.GetString(1)).RootElement));
            }
        }

        Assert.Equal(["stream_went_live", "stream_resumed", "stream_gap_filled"], record.Select(r => r.Type).ToArray());
        var filled = record[2].Data;
        Assert.InRange(filled.GetProperty("leftMs").GetInt64(), 0, 20);
        Assert.InRange(filled.GetProperty("missedMs").GetInt64(), 9_500, 20_000);
    }

    [Fact]
    public async Task A_back_fill_is_refused_from_another_device_as_garbage_or_for_another_stream_and_a_replay_files_nothing()
    {
        var camera = await system.RecordingCameraAsync();
        await using var uplink = BufferingCamera.Start(system, camera);
        await system.WaitLiveAsync(camera.CameraId);
        var init = await uplink.Init;

        // Another camera's device may not fill this camera's stream; the refusal is on the record.
        var other = await system.EnlistAsync();
        using (var foreign = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{camera.CameraId}/live/backfill") { Content = new ByteArrayContent(init) })
        {
            using var refused = await other.Device.SendAsync(foreign);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // Not MP4 at all: a problem, and the stream goes on.
        using (var garbage = await uplink.BackfillAsync([System.Text.Encoding.UTF8.GetBytes("this is not a video, it is a letter to the editor")]))
        {
            await AssertProblemAsync(garbage, HttpStatusCode.BadRequest, "urn:bodycam:problem:media-rejected");
        }

        // An init segment from other encoder settings cannot fill this stream's gaps.
        var changed = (byte[])init.Clone();
        changed[12] ^= 0xFF;
        using (var mismatch = await uplink.BackfillAsync([changed]))
        {
            await AssertProblemAsync(mismatch, HttpStatusCode.Conflict, "urn:bodycam:problem:backfill-not-this-stream");
        }

        // Fragments the stream already has (a replay of live media, or a camera sending twice) are not filed again.
        var (_, token) = await system.GrantAsync(camera.CameraId);
        await using (var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token))
        {
            var seen = await viewer.WaitForMessagesAsync(6);
            using var replay = await uplink.BackfillAsync([init, .. seen.Skip(1)]);
            var body = await replay.Content.ReadAsStringAsync();
            Assert.True(replay.StatusCode == HttpStatusCode.OK, body);
            var summary = JsonDocument.Parse(body).RootElement;
            Assert.Equal(0, summary.GetProperty("filed").GetInt32());
            Assert.Empty(summary.GetProperty("gaps").EnumerateArray());
        }

        var after = await LiveApi.WaitLiveAsync(system, camera.CameraId);
        Assert.True(after.GetProperty("pushing").GetBoolean());

        // And a camera that is not live has no stream to fill.
        var idle = await system.RecordingCameraAsync();
        using var notLive = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{idle.CameraId}/live/backfill") { Content = new ByteArrayContent(init) };
        using var missing = await idle.Device.SendAsync(notLive);
        await AssertProblemAsync(missing, HttpStatusCode.NotFound, "urn:bodycam:problem:stream-not-live");
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(type, (await response.ProblemAsync()).GetProperty("type").GetString());
    }

    private static async Task<JsonElement> StreamAsync(HttpClient control, string cameraId, Func<JsonElement, bool> condition, string what) =>
        (JsonElement)(await Eventually.Async(async () =>
        {
            var streams = await control.GetFromJsonAsync<JsonElement[]>("api/streaming/streams");
            return streams!.FirstOrDefault(s => s.GetProperty("cameraId").GetString() == cameraId) is { ValueKind: JsonValueKind.Object } s && condition(s)
                ? (object)s : null;
        }, TimeSpan.FromSeconds(60), what))!;
}
