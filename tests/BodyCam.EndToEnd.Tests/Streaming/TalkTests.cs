using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// Push-to-talk between a viewer with a live grant and the wearer, through the gateway: real Opus
/// packets from the viewer's socket to the camera's and back, on the record with the recording's
/// hash, the recording kept as evidence, refused without a grant and cut when the grant is revoked.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TalkTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_talk_carries_audio_both_ways_is_kept_as_evidence_with_its_hash_on_record_and_is_cut_when_the_grant_is_revoked()
    {
        var camera = await system.RecordingCameraAsync();
        var other = await system.RecordingCameraAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var feed = await camera.Device.GetAsync($"api/ingest/cameras/{camera.CameraId}/notifications", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        await using var notifications = SseParser.Create(await feed.Content.ReadAsStreamAsync(timeout.Token)).EnumerateAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await notifications.MoveNextAsync());
        var (grantId, token) = await LiveApi.GrantAsync(system, camera.CameraId, viewer: "control1");
        var (_, otherToken) = await LiveApi.GrantAsync(system, other.CameraId, viewer: "control1");

        // No token, or a grant on another camera: refused at the door, no socket opens.
        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedAsync(camera.CameraId, null));
        Assert.Equal(HttpStatusCode.Forbidden, await RefusedAsync(camera.CameraId, otherToken));

        using var viewer = await ViewerAsync(camera.CameraId, token);
        var hello = await TextAsync(viewer, timeout.Token);
        Assert.Equal("joined", hello.GetProperty("type").GetString());
        Assert.Equal("absent", hello.GetProperty("camera").GetString());
        var talkId = hello.GetProperty("talkId").GetString()!;

        // The camera is told to open its talk channel, and does (at the path the issue names, through the gateway).
        (string Type, JsonElement Data) told;
        do
        {
            told = await notifications.NextNotificationAsync();
        }
        while (told.Type != "talk-started");
        Assert.Equal(talkId, told.Data.GetProperty("id").GetString());
        using var device = new ClientWebSocket();
        device.Options.SetRequestHeader("Authorization", camera.Device.DefaultRequestHeaders.Authorization!.ToString());
        await device.ConnectAsync(WebSocketAddress($"api/ingest/cameras/{camera.CameraId}/talk"), timeout.Token);
        var joined = await TextAsync(device, timeout.Token);
        Assert.Equal("joined", joined.GetProperty("type").GetString());
        Assert.Equal("control1", joined.GetProperty("viewerId").GetString());
        var speaker = (byte)joined.GetProperty("speaker").GetInt32();
        Assert.Equal("camera-connected", (await TextAsync(viewer, timeout.Token)).GetProperty("type").GetString());

        // The viewer speaks: each Opus packet reaches the camera whole, tagged with the speaker.
        var spoken = TalkAudio.Speech(440, 10);
        foreach (var packet in spoken)
        {
            await viewer.SendAsync(packet, WebSocketMessageType.Binary, true, timeout.Token);
            byte[] tagged = [speaker, .. packet];
            Assert.Equal(tagged, await BinaryAsync(device, timeout.Token));
        }

        // The wearer answers: every packet reaches the viewer, tagged 0 (the camera).
        var answered = TalkAudio.Speech(660, 5);
        foreach (var packet in answered)
        {
            await device.SendAsync(packet, WebSocketMessageType.Binary, true, timeout.Token);
            byte[] tagged = [0, .. packet];
            Assert.Equal(tagged, await BinaryAsync(viewer, timeout.Token));
        }

        // Revoking the grant cuts the talk, with the reason, and the camera hears the viewer left.
        await LiveApi.RevokeAsync(system, grantId, "Talk over");
        await DrainUntilClosedAsync(viewer, timeout.Token);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, viewer.CloseStatus);
        Assert.StartsWith("grant-revoked", viewer.CloseStatusDescription);
        Assert.Equal("left", (await TextAsync(device, timeout.Token)).GetProperty("type").GetString());

        // On the record: who, to whom, how long, how much each way, under which grant, and the recording's hash.
        var ended = (await system.AuditEventsEventuallyAsync($"type=TalkSessionEnded&cameraId={camera.CameraId}"))[0].GetProperty("data");
        Assert.Equal(talkId, ended.GetProperty("talkId").GetString());
        Assert.Equal(grantId, ended.GetProperty("grantId").GetString());
        Assert.Equal("control1", ended.GetProperty("viewerId").GetString());
        Assert.Equal(10, ended.GetProperty("framesFromViewer").GetInt32());
        Assert.Equal(5, ended.GetProperty("framesFromCamera").GetInt32());
        Assert.Equal("grant-revoked", ended.GetProperty("reason").GetString());
        var hash = ended.GetProperty("audioSha256").GetString()!;

        // The evidence: what was said both ways, packet for packet, in order, matching the hash on record.
        using var compliance = await system.ClientForAsync("compliance1");
        using var audio = await compliance.GetAsync($"api/streaming/talk/{talkId}/audio?reason=complaint+review");
        Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        var recording = await audio.Content.ReadAsByteArrayAsync();
        Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(recording)));
        Assert.Equal($"sha-256=:{Convert.ToBase64String(SHA256.HashData(recording))}:", audio.Headers.GetValues("Repr-Digest").Single());
        var packets = Read(recording).ToList();
        Assert.Equal([.. spoken.Select(p => (speaker, p)), .. answered.Select(p => ((byte)0, p))], packets.Select(p => (p.Speaker, p.Packet)), new PacketComparer());
        Assert.True(packets.Zip(packets.Skip(1)).All(p => p.First.OffsetMs <= p.Second.OffsetMs), "offsets in order");

        // A viewer may not fetch it; a device may not open another camera's channel.
        using var officer = await system.ClientForAsync("officer1");
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.GetAsync($"api/streaming/talk/{talkId}/audio")).StatusCode);
        using var intruder = new ClientWebSocket();
        intruder.Options.SetRequestHeader("Authorization", other.Device.DefaultRequestHeaders.Authorization!.ToString());
        intruder.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => intruder.ConnectAsync(WebSocketAddress($"api/ingest/cameras/{camera.CameraId}/talk"), timeout.Token));
        Assert.Equal(HttpStatusCode.Forbidden, intruder.HttpStatusCode);

        // The access record joins it to the grant.
        var record = await Eventually.Async(async () =>
        {
            var records = await compliance.GetFromJsonAsync<JsonElement[]>($"api/audit/access?cameraId={camera.CameraId}");
            return records!.FirstOrDefault(r => r.GetProperty("grantId").GetString() == grantId) is { ValueKind: JsonValueKind.Object } r
                && r.GetProperty("talks").GetArrayLength() == 1 ? (object)r : null;
        }, what: "the talk on the access record");
        Assert.Equal(hash, ((JsonElement)record).GetProperty("talks")[0].GetProperty("audioSha256").GetString());
    }

    [Fact]
    public async Task A_talk_cut_by_the_streaming_process_dying_is_closed_on_the_record_with_the_audio_stored_before_it_died()
    {
        var camera = await system.RecordingCameraAsync();
        var (grantId, token) = await LiveApi.GrantAsync(system, camera.CameraId, viewer: "control1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var viewer = await ViewerAsync(camera.CameraId, token);
        var talkId = (await TextAsync(viewer, timeout.Token)).GetProperty("talkId").GetString()!;

        // Two seconds of speech, then long enough for the recording so far to be stored (every 2 s).
        var spoken = TalkAudio.Speech(440, 100);
        using (var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20)))
        {
            foreach (var packet in spoken)
            {
                await viewer.SendAsync(packet, WebSocketMessageType.Binary, true, timeout.Token);
                await pace.WaitForNextTickAsync(timeout.Token);
            }
        }

        // Until the parts streaming stores while a talk goes on hold all of it (the magic, then 7 bytes and the packet each).
        var whole = 8 + spoken.Sum(p => 7 + p.Length);
        await Eventually.Async(async () =>
        {
            await using var connection = new Npgsql.NpgsqlConnection(system.Database);
            await connection.OpenAsync(timeout.Token);
            await using var stored = new Npgsql.NpgsqlCommand(
                "select coalesce(sum(length(decode(data->>'bytes', 'base64'))), 0) from streaming.mt_doc_talkaudiopart where data->>'talkId' = @talk", connection);
            stored.Parameters.AddWithValue("talk", talkId);
            return Convert.ToInt64(await stored.ExecuteScalarAsync(timeout.Token)) >= whole ? (object)true : null;
        }, what: "the talk's recording so far to be stored in parts");
        await system.Service("streaming").KillAsync();
        await system.RestartAsync("streaming");

        // The restarted service closes the talk on the record, with the audio it had stored.
        var ended = (await system.AuditEventsEventuallyAsync($"type=TalkSessionEnded&cameraId={camera.CameraId}"))[0].GetProperty("data");
        Assert.Equal(talkId, ended.GetProperty("talkId").GetString());
        Assert.Equal(grantId, ended.GetProperty("grantId").GetString());
        Assert.Equal("streaming-restarted", ended.GetProperty("reason").GetString());
        Assert.Equal(100, ended.GetProperty("framesFromViewer").GetInt32());
        using var compliance = await system.ClientForAsync("compliance1");
        var recording = await compliance.GetByteArrayAsync($"api/streaming/talk/{talkId}/audio");
        Assert.Equal(ended.GetProperty("audioSha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(recording)));
        Assert.Equal(spoken, Read(recording).Select(p => p.Packet), new BytesComparer());
    }

    private sealed class BytesComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }

    private Uri WebSocketAddress(string path) => new UriBuilder(new Uri(system.GatewayAddress, path)) { Scheme = "ws" }.Uri;

    private async Task<ClientWebSocket> ViewerAsync(string cameraId, string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("bodycam.talk");
        socket.Options.AddSubProtocol($"bodycam.token.{token}");
        await socket.ConnectAsync(WebSocketAddress($"live/{cameraId}/talk"), CancellationToken.None);
        Assert.Equal("bodycam.talk", socket.SubProtocol);
        return socket;
    }

    private async Task<HttpStatusCode> RefusedAsync(string cameraId, string? token)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol("bodycam.talk");
        if (token is not null)
        {
            socket.Options.AddSubProtocol($"bodycam.token.{token}");
        }

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketAddress($"live/{cameraId}/talk"), CancellationToken.None));
        return socket.HttpStatusCode;
    }

    private static async Task<JsonElement> TextAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var (type, bytes) = await TalkAudio.ReceiveAsync(socket, cancellationToken);
        Assert.True(type == WebSocketMessageType.Text, $"expected a text message, got {type} of {bytes.Length} bytes");
        return JsonDocument.Parse(bytes).RootElement.Clone();
    }

    private static async Task<byte[]> BinaryAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var (type, bytes) = await TalkAudio.ReceiveAsync(socket, cancellationToken);
        Assert.True(type == WebSocketMessageType.Binary, $"expected a binary message, got {type}: {System.Text.Encoding.UTF8.GetString(bytes)}");
        return bytes;
    }

    private static async Task DrainUntilClosedAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        while ((await TalkAudio.ReceiveAsync(socket, cancellationToken)).Type != WebSocketMessageType.Close)
        {
        }
    }

    /// <summary>The recording as docs/decisions.md describes it, read independently of the server's code.</summary>
    private static IEnumerable<(uint OffsetMs, byte Speaker, byte[] Packet)> Read(byte[] recording)
    {
        Assert.Equal("BCTALK01"u8.ToArray(), recording[..8]);
        for (var at = 8; at < recording.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(recording.AsSpan(at + 5));
            yield return (BinaryPrimitives.ReadUInt32BigEndian(recording.AsSpan(at)), recording[at + 4], recording[(at + 7)..(at + 7 + length)]);
            at += 7 + length;
        }
    }

    private sealed class PacketComparer : IEqualityComparer<(byte Speaker, byte[] Packet)>
    {
        public bool Equals((byte Speaker, byte[] Packet) x, (byte Speaker, byte[] Packet) y) => x.Speaker == y.Speaker && x.Packet.AsSpan().SequenceEqual(y.Packet);

        public int GetHashCode((byte Speaker, byte[] Packet) obj) => obj.Speaker;
    }
}
