using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// A push that is not what a camera should send is refused or ended cleanly, with a problem and an
/// event; the service stays up and a stream beside it, watched throughout, is untouched.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PushBadInputTests(BodyCamSystem system)
{
    private static readonly Lazy<Task<byte[]>> Clip = new(MakeClipAsync);

    [Fact]
    public async Task A_body_that_is_not_mp4_is_refused_with_a_problem_and_an_event()
    {
        await AssertRefusedBesideALiveStreamAsync(
            _ => System.Text.Encoding.UTF8.GetBytes("GET / HTTP/1.1\r\nThis is not a video at all, it is a letter.\r\n"),
            HttpStatusCode.BadRequest, "media-not-mp4", wentLive: false);
    }

    [Fact]
    public async Task A_box_with_an_absurd_size_is_refused_before_it_is_buffered()
    {
        await AssertRefusedBesideALiveStreamAsync(
            clip =>
            {
                // A valid ftyp, then a box claiming three gigabytes.
                var ftypSize = (int)BinaryPrimitives.ReadUInt32BigEndian(clip);
                var body = new byte[ftypSize + 64];
                clip.AsSpan(0, ftypSize).CopyTo(body);
                BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(ftypSize), 3_000_000_000);
                "moov"u8.CopyTo(body.AsSpan(ftypSize + 4));
                return body;
            },
            HttpStatusCode.BadRequest, "media-box-too-large", wentLive: false);
    }

    [Fact]
    public async Task A_truncated_stream_ends_the_stream_cleanly_with_a_problem_and_an_event()
    {
        await AssertRefusedBesideALiveStreamAsync(
            clip => clip[..(clip.Length - 1000)],
            HttpStatusCode.BadRequest, "media-truncated", wentLive: true);
    }

    [Fact]
    public async Task A_push_for_a_camera_the_device_does_not_own_is_refused_and_recorded()
    {
        var own = await system.EnlistAsync();
        var other = await system.EnlistAsync();

        using var response = await PushAsync(own, other.CameraId, await Clip.Value);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:forbidden", (await response.ProblemAsync()).GetProperty("type").GetString());
        await Eventually.Async(async () =>
        {
            var items = await system.AuditEventsAsync("type=AccessRefused&limit=500");
            return items.FirstOrDefault(i => i.GetProperty("data").GetProperty("path").GetString() == $"/api/streaming/cameras/{other.CameraId}/live"
                && i.GetProperty("actorId").GetString() == $"camera-{own.CameraId}") is { ValueKind: JsonValueKind.Object } found ? (object)found : null;
        }, TimeSpan.FromSeconds(30), "the refused push on the record");
    }

    [Fact]
    public async Task A_second_push_for_a_camera_already_live_is_refused_and_the_first_goes_on()
    {
        var (camera, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(camera.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, camera.CameraId, token);
        await viewer.WaitForMessagesAsync(3);

        using var second = await PushAsync(camera, camera.CameraId, await Clip.Value);

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("urn:bodycam:problem:already-live", (await second.ProblemAsync()).GetProperty("type").GetString());
        var refused = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=LivePushRefused");
        Assert.Equal("already-live", refused[0].GetProperty("data").GetProperty("problem").GetString());
        var before = viewer.Count;
        await viewer.WaitForMessagesAsync(before + 5);
        Assert.False(viewer.Closed.IsCompleted);
    }

    private async Task AssertRefusedBesideALiveStreamAsync(Func<byte[], byte[]> body, HttpStatusCode status, string problem, bool wentLive)
    {
        var (bystander, ffmpeg) = await system.LiveCameraAsync();
        await using var _ = ffmpeg;
        var (_, token) = await system.GrantAsync(bystander.CameraId);
        await using var viewer = await LiveViewer.ConnectAsync(system, bystander.CameraId, token);
        await viewer.WaitForMessagesAsync(3);
        var camera = await system.EnlistAsync();

        using var response = await PushAsync(camera, camera.CameraId, body(await Clip.Value));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal($"urn:bodycam:problem:{problem}", (await response.ProblemAsync()).GetProperty("type").GetString());
        var refused = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=LivePushRefused");
        Assert.Equal(problem, refused[0].GetProperty("data").GetProperty("problem").GetString());
        if (wentLive)
        {
            var ended = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=StreamEnded");
            Assert.Equal(problem, ended[0].GetProperty("data").GetProperty("reason").GetString());
        }
        else
        {
            Assert.Empty(await system.AuditEventsAsync($"cameraId={camera.CameraId}&type=StreamWentLive"));
        }

        // Nothing is left live for the refused camera; the bystander's viewer never noticed.
        using var control = await system.ClientForAsync("control1");
        var streams = await control.GetFromJsonAsync<JsonElement[]>("api/streaming/streams");
        Assert.DoesNotContain(streams!, s => s.GetProperty("cameraId").GetString() == camera.CameraId);
        var before = viewer.Count;
        await viewer.WaitForMessagesAsync(before + 3);
        Assert.False(viewer.Closed.IsCompleted);
        Assert.True(ffmpeg.Running, ffmpeg.Log);
    }

    private static async Task<HttpResponseMessage> PushAsync(TestCamera device, string cameraId, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        return await device.Device.PostAsync($"api/streaming/cameras/{cameraId}/live", content);
    }

    /// <summary>Two seconds of fragmented MP4, as a camera would push it, made by ffmpeg.</summary>
    private static async Task<byte[]> MakeClipAsync()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-clip-{Guid.NewGuid():N}.mp4");
        var (exit, output) = await LiveApi.RunAsync("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000", file);
        Assert.True(exit == 0, output);
        var bytes = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        return bytes;
    }
}
