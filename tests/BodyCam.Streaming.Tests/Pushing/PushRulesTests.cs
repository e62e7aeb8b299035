using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Contracts.Access;
using BodyCam.Contracts.Streaming;
using BodyCam.Streaming.Tests.Media;
using BodyCam.Testing;
using Marten;
using Xunit;

namespace BodyCam.Streaming.Tests.Pushing;

/// <summary>The streaming service in this process (<see cref="InProcessService{TProgram}"/>), on its own database.</summary>
public sealed class StreamingHost() : InProcessService<Program>("streaming")
{
    /// <summary>A client holding the device token of a new camera.</summary>
    public (string CameraId, HttpClient Device) Camera()
    {
        var cameraId = $"CAM-{Guid.NewGuid():N}"[..14].ToUpperInvariant();
        return (cameraId, ClientFor($"camera-{cameraId}", "device", cameraId: cameraId));
    }

    /// <summary>The facts of type <typeparamref name="T"/> streaming stored (and would publish) for one camera.</summary>
    public async Task<IReadOnlyList<T>> FactsAsync<T>(Func<T, bool> about) where T : class
    {
        await using var session = Store.QuerySession();
        return [.. (await session.Events.QueryRawEventDataOnly<T>().ToListAsync()).Where(about)];
    }

    public static async Task<HttpResponseMessage> PushAsync(HttpClient device, string cameraId, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        return await device.PostAsync($"api/streaming/cameras/{cameraId}/live", content);
    }
}

/// <summary>
/// A push that is not what a camera should send, through streaming's own HTTP API in this process:
/// refused (or, once live, ended) with one problem type and the fault as its reason, the refusal on
/// the record, nothing left live. A real ffmpeg push (the corpus) is the material, made hostile
/// here. (Were end-to-end tests; the journeys with a viewer watching beside them stay there.)
/// </summary>
public sealed class PushRulesTests(StreamingHost host) : IClassFixture<StreamingHost>
{
    private static readonly byte[] Clip = Push.Corpus("camera-av.mp4");

    public static TheoryData<string, string, bool> Hostile => new()
    {
        { "not mp4", "media-not-mp4", false },
        { "a box claiming three gigabytes", "media-box-too-large", false },
        { "a trun claiming four billion samples", "media-bad-box", true },
        { "cut off in a fragment", "media-truncated", true },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_push_is_refused_with_its_reason_on_the_record_and_nothing_is_left_live(string what, string reason, bool wentLive)
    {
        var (cameraId, device) = host.Camera();

        using var response = await StreamingHost.PushAsync(device, cameraId, Body(what));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:media-rejected", problem.GetProperty("type").GetString());
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        var refused = Assert.Single(await host.FactsAsync<LivePushRefused>(f => f.CameraId == cameraId));
        Assert.Equal(reason, refused.Problem);
        Assert.Equal($"camera-{cameraId}", refused.ActorId);
        // A push refused before its init segment never went live; one refused later went live and ended with the reason.
        Assert.Equal(wentLive, (await host.FactsAsync<StreamWentLive>(f => f.CameraId == cameraId)).Count == 1);
        Assert.Equal(wentLive ? [reason] : [], (await host.FactsAsync<StreamEnded>(f => f.CameraId == cameraId)).Select(e => e.Reason));
        using var control = host.ClientFor("control1", "control-room", command: "B");
        var streams = await control.GetFromJsonAsync<JsonElement[]>("api/streaming/streams");
        Assert.DoesNotContain(streams!, s => s.GetProperty("cameraId").GetString() == cameraId);
        // A refused push closes its connection, so a proxy never reuses one left with unread bytes.
        Assert.True(response.Headers.ConnectionClose, "Connection: close on the refusal");
    }

    [Fact]
    public async Task The_same_push_unharmed_goes_live_and_ends_when_the_camera_ends_it()
    {
        var (cameraId, device) = host.Camera();

        using var response = await StreamingHost.PushAsync(device, cameraId, Clip);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var summary = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Count(Clip, "moof"), summary.GetProperty("fragments").GetInt64());
        Assert.Empty(await host.FactsAsync<LivePushRefused>(f => f.CameraId == cameraId));
        Assert.Equal(["push-ended"], (await host.FactsAsync<StreamEnded>(f => f.CameraId == cameraId)).Select(e => e.Reason));
    }

    [Fact]
    public async Task A_push_for_a_camera_the_device_does_not_own_is_refused_and_recorded()
    {
        var (_, device) = host.Camera();
        var (other, _) = host.Camera();

        using var response = await StreamingHost.PushAsync(device, other, Clip);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:forbidden", (await response.ProblemAsync()).GetProperty("type").GetString());
        Assert.Contains(await host.RefusalsAsync(), r => r.Path == $"/api/streaming/cameras/{other}/live");
        Assert.Empty(await host.FactsAsync<StreamWentLive>(f => f.CameraId == other));
    }

    [Fact]
    public async Task A_person_may_not_push_media_even_for_a_camera_they_name()
    {
        var (cameraId, _) = host.Camera();
        using var officer = host.ClientFor("officer1", "officer", command: "B", officerId: "officer1", cameraId: cameraId);

        using var response = await StreamingHost.PushAsync(officer, cameraId, Clip);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await host.FactsAsync<StreamWentLive>(f => f.CameraId == cameraId));
    }

    private static byte[] Body(string what) => what switch
    {
        "not mp4" => System.Text.Encoding.UTF8.GetBytes("GET / HTTP/1.1\r\nThis is not a video at all, it is a letter.\r\n"),
        "a box claiming three gigabytes" => BoxClaiming(3_000_000_000),
        "a trun claiming four billion samples" => Push.Corpus(Path.Combine("rejected", "trun-claims-4294967295-samples.mp4")),
        "cut off in a fragment" => Clip[..(Clip.Length - 1000)],
        _ => throw new ArgumentException(what),
    };

    /// <summary>A valid ftyp, then a moov box claiming <paramref name="size"/> bytes.</summary>
    private static byte[] BoxClaiming(uint size)
    {
        var ftyp = (int)BinaryPrimitives.ReadUInt32BigEndian(Clip);
        var body = new byte[ftyp + 64];
        Clip.AsSpan(0, ftyp).CopyTo(body);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(ftyp), size);
        "moov"u8.CopyTo(body.AsSpan(ftyp + 4));
        return body;
    }

    private static int Count(byte[] body, string type)
    {
        var (at, count) = (0, 0);
        while (at + 8 <= body.Length)
        {
            count += System.Text.Encoding.ASCII.GetString(body, at + 4, 4) == type ? 1 : 0;
            at += (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
        }

        return count;
    }
}
