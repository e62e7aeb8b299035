using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using BodyCam.EndToEnd.Tests.Integration;
using BodyCam.Testing;
using CloudNative.CloudEvents.SystemTextJson;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Streaming;

/// <summary>
/// A viewer with a live grant instructs the wearer and marks moments for the evidence record: through
/// the gateway, to the camera's own feed and back, onto the access record, the replay and CAD's feed.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SupervisionTests(BodyCamSystem system)
{
    [Fact]
    public async Task An_instruction_reaches_the_cameras_feed_and_its_acknowledgement_reaches_the_viewer_and_the_access_record()
    {
        var camera = await system.RecordingCameraAsync();
        await using var feed = await NotificationsAsync(camera);
        var (grantId, token) = await GrantAsync(camera.CameraId, "control1");
        using var control = await system.ClientForAsync("control1");

        var sent = await SendAsync(control, camera.CameraId, token, "  Step back and wait for the van; a dog handler is two minutes out.  ");
        Assert.Equal(HttpStatusCode.Accepted, sent.Status);
        var instructionId = sent.Body.GetProperty("instructionId").GetString()!;
        Assert.Equal("Step back and wait for the van; a dog handler is two minutes out.", sent.Body.GetProperty("text").GetString());
        Assert.Equal("sent", sent.Body.GetProperty("state").GetString());
        Assert.Equal(grantId, sent.Body.GetProperty("grantId").GetString());

        var told = await feed.NextOfTypeAsync("instruction");
        Assert.Equal(instructionId, told.GetProperty("id").GetString());
        Assert.Equal("control1", told.GetProperty("viewerId").GetString());
        Assert.Equal("Step back and wait for the van; a dog handler is two minutes out.", told.GetProperty("note").GetString());

        // A camera whose feed was down reads what it has not acknowledged.
        var pending = await camera.Device.GetFromJsonAsync<JsonElement[]>($"api/streaming/cameras/{camera.CameraId}/messages?state=sent");
        Assert.Contains(pending!, m => m.GetProperty("instructionId").GetString() == instructionId);

        using var ack = await camera.Device.PostAsync($"api/streaming/cameras/{camera.CameraId}/messages/{instructionId}/ack", null);
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var acknowledged = await ack.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("acknowledged", acknowledged.GetProperty("state").GetString());
        using var again = await camera.Device.PostAsync($"api/streaming/cameras/{camera.CameraId}/messages/{instructionId}/ack", null);
        Assert.Equal(acknowledged.GetProperty("acknowledgedAt").GetDateTimeOffset(), (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("acknowledgedAt").GetDateTimeOffset());

        // The viewer sees it acknowledged; another viewer does not see it at all.
        var seen = await control.GetFromJsonAsync<JsonElement>($"api/streaming/cameras/{camera.CameraId}/messages/{instructionId}");
        Assert.Equal("acknowledged", seen.GetProperty("state").GetString());
        Assert.Equal(acknowledged.GetProperty("acknowledgedBy").GetString(), seen.GetProperty("acknowledgedBy").GetString());
        Assert.NotEqual("control1", seen.GetProperty("acknowledgedBy").GetString());
        using var officer = await system.ClientForAsync("officer1");
        Assert.Equal(HttpStatusCode.NotFound, (await officer.GetAsync($"api/streaming/cameras/{camera.CameraId}/messages/{instructionId}")).StatusCode);
        Assert.Empty((await officer.GetFromJsonAsync<JsonElement[]>($"api/streaming/cameras/{camera.CameraId}/messages"))!);

        // Who told whom what, when, under which grant, and when the wearer saw it: on the access record.
        using var compliance = await system.ClientForAsync("compliance1");
        var record = await Eventually.Async(async () =>
        {
            var records = await compliance.GetFromJsonAsync<JsonElement[]>($"api/audit/access?cameraId={camera.CameraId}");
            return records!.FirstOrDefault(r => r.GetProperty("grantId").GetString() == grantId) is { ValueKind: JsonValueKind.Object } r
                && r.GetProperty("instructions").GetArrayLength() == 1
                && r.GetProperty("instructions")[0].GetProperty("acknowledgedAt").ValueKind == JsonValueKind.String ? (object)r : null;
        }, what: "the instruction and its acknowledgement on the access record");
        var onRecord = ((JsonElement)record).GetProperty("instructions")[0];
        Assert.Equal(instructionId, onRecord.GetProperty("instructionId").GetString());
        Assert.Equal("Step back and wait for the van; a dog handler is two minutes out.", onRecord.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Only_the_holder_of_a_live_grant_may_instruct_and_a_camera_acknowledges_only_its_own()
    {
        var camera = await system.RecordingCameraAsync();
        var other = await system.RecordingCameraAsync();
        var (grantId, token) = await GrantAsync(camera.CameraId, "control1");
        var (_, otherToken) = await GrantAsync(other.CameraId, "control1");
        using var control = await system.ClientForAsync("control1");
        using var supervisor = await system.ClientForAsync("supervisor1");

        // No stream token, another camera's, someone else's: refused, the last on the access record.
        Assert.Equal("urn:bodycam:problem:stream-token-required", (await SendAsync(control, camera.CameraId, null, "Go")).Problem(HttpStatusCode.Forbidden));
        Assert.Equal("urn:bodycam:problem:forbidden", (await SendAsync(control, camera.CameraId, otherToken, "Go")).Problem(HttpStatusCode.Forbidden));
        Assert.Equal("urn:bodycam:problem:stream-token-invalid", (await SendAsync(control, camera.CameraId, "not.a.token", "Go")).Problem(HttpStatusCode.Forbidden));
        Assert.Equal("urn:bodycam:problem:forbidden", (await SendAsync(supervisor, camera.CameraId, token, "Go")).Problem(HttpStatusCode.Forbidden));
        await OnRecordAsync("AccessRefused", "supervisor1", camera.CameraId);

        // Bad text: a clear problem, nothing sent.
        Assert.Equal("urn:bodycam:problem:invalid-request", (await SendAsync(control, camera.CameraId, token, new string('x', 501))).Problem(HttpStatusCode.BadRequest));
        Assert.Equal("urn:bodycam:problem:invalid-request", (await SendAsync(control, camera.CameraId, token, "   ")).Problem(HttpStatusCode.BadRequest));
        Assert.Equal("urn:bodycam:problem:invalid-request", (await SendAsync(control, camera.CameraId, token, "bell\u0007")).Problem(HttpStatusCode.BadRequest));

        // A camera acknowledges only what was sent to it.
        var sent = await SendAsync(control, camera.CameraId, token, "Camera on the van, please");
        var id = sent.Body.GetProperty("instructionId").GetString();
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Device.PostAsync($"api/streaming/cameras/{camera.CameraId}/messages/{id}/ack", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Device.PostAsync($"api/streaming/cameras/{other.CameraId}/messages/{id}/ack", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await camera.Device.PostAsync($"api/streaming/cameras/{camera.CameraId}/messages/..%2F{id}/ack", null)).StatusCode);

        // Once the revocation reaches streaming (within a second, as for cutting viewers off), the same
        // token instructs nothing more.
        await system.RevokeAsync(grantId, "Incident over");
        var refusedAt = await Eventually.Async(async () =>
        {
            var attempt = await SendAsync(control, camera.CameraId, token, "Still there?");
            return attempt.Status == HttpStatusCode.Forbidden && attempt.Problem(HttpStatusCode.Forbidden) == "urn:bodycam:problem:grant-ended" ? (object)DateTimeOffset.UtcNow : null;
        }, what: "an instruction on a revoked grant to be refused");
        Assert.Equal("urn:bodycam:problem:grant-ended", (await SendAsync(control, camera.CameraId, token, "And now?")).Problem(HttpStatusCode.Forbidden));
        var pending = await camera.Device.GetFromJsonAsync<JsonElement[]>($"api/streaming/cameras/{camera.CameraId}/messages");
        Assert.Contains(pending!, m => m.GetProperty("text").GetString() == "Camera on the van, please");
        Assert.DoesNotContain(pending!, m => m.GetProperty("text").GetString() == "And now?");
        Assert.All(pending!, m => Assert.True(m.GetProperty("sentAt").GetDateTimeOffset() <= (DateTimeOffset)refusedAt));
    }

    [Fact]
    public async Task A_bookmark_reaches_the_camera_the_incidents_list_the_replay_timeline_and_the_CAD_feed()
    {
        var incident = $"INC-{Guid.NewGuid():N}"[..16];
        var camera = await system.RecordingCameraAsync();
        await using var feed = await NotificationsAsync(camera);
        using var cad = await system.CadAsync();
        await using var cadFeed = await IntegrationApi.FollowAsync(cad, $"types=uk.police.bodycam.bookmark.marked&incidentRef={incident}");
        var (grantId, token) = await GrantAsync(camera.CameraId, "control1", incident);
        using var control = await system.ClientForAsync("control1");

        var moment = DateTimeOffset.UtcNow.AddSeconds(-4);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{camera.CameraId}/bookmarks")
        {
            Content = JsonContent.Create(new { at = moment, note = "Suspect drops something by the bins" }),
        };
        request.Headers.Add("Stream-Token", token);
        using var marked = await control.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, marked.StatusCode);
        var bookmark = await marked.Content.ReadFromJsonAsync<JsonElement>();
        var bookmarkId = bookmark.GetProperty("bookmarkId").GetString()!;
        Assert.Equal(incident, bookmark.GetProperty("incidentRef").GetString());

        var told = await feed.NextOfTypeAsync("bookmark");
        Assert.Equal(bookmarkId, told.GetProperty("id").GetString());
        Assert.Equal(moment, told.GetProperty("moment").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));

        using var supervisor = await system.ClientForAsync("supervisor1");
        var forIncident = await supervisor.GetFromJsonAsync<JsonElement[]>($"api/streaming/bookmarks?incidentRef={incident}&reason=review");
        Assert.Equal(bookmarkId, Assert.Single(forIncident!).GetProperty("bookmarkId").GetString());
        var forCamera = await supervisor.GetFromJsonAsync<JsonElement[]>($"api/streaming/cameras/{camera.CameraId}/bookmarks");
        Assert.Equal("Suspect drops something by the bins", Assert.Single(forCamera!).GetProperty("note").GetString());
        await OnRecordAsync("PersonalDataRead", "supervisor1", incident);

        // CAD hears it, filed under the incident.
        var cadEvent = new JsonEventFormatter().DecodeStructuredModeMessage(System.Text.Encoding.UTF8.GetBytes((await cadFeed.NextEventAsync()).Data), null, null);
        Assert.Equal("uk.police.bodycam.bookmark.marked", cadEvent.Type);
        var data = (JsonElement)cadEvent.Data!;
        Assert.Equal(bookmarkId, data.GetProperty("bookmarkId").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("viewerId").ValueKind);

        // The compliance replay of the incident shows it in its place.
        using var compliance = await system.ClientForAsync("compliance1");
        await Eventually.Async(async () =>
        {
            var timeline = await compliance.GetFromJsonAsync<JsonElement>($"api/audit/timeline?incidentRef={incident}");
            return timeline.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("type").GetString() == "BookmarkMarked"
                && i.GetProperty("data").GetProperty("bookmarkId").GetString() == bookmarkId) ? (object)true : null;
        }, what: "the bookmark in the incident's replay");

        // A moment not yet seen is refused; so is one from before a live view could have shown it.
        foreach (var at in new[] { DateTimeOffset.UtcNow.AddMinutes(1), DateTimeOffset.UtcNow.AddHours(-1) })
        {
            using var bad = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{camera.CameraId}/bookmarks") { Content = JsonContent.Create(new { at, note = "x" }) };
            bad.Headers.Add("Stream-Token", token);
            using var refused = await control.SendAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        Assert.Equal(grantId, bookmark.GetProperty("grantId").GetString());
    }

    private Task<object> OnRecordAsync(string type, string actorId, string naming) =>
        Eventually.Async(async () => (await system.AuditEventsAsync($"type={type}&limit=1000"))
            .Where(e => e.GetProperty("actorId").GetString() == actorId && e.GetProperty("data").GetRawText().Contains(naming, StringComparison.Ordinal))
            .Select(e => (object)e).FirstOrDefault(), what: $"{type} by {actorId} naming {naming} on the audit record");

    private async Task<(string GrantId, string Token)> GrantAsync(string cameraId, string viewer, string? incidentRef = null)
    {
        using var http = await system.ClientForAsync(viewer);
        using var response = await http.PostAsJsonAsync("api/authorisation/view-requests",
            new { cameraId, purpose = "officer-safety", reason = LiveApi.Reason, incidentRef });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"view request: {(int)response.StatusCode} {body}");
        var grant = JsonDocument.Parse(body).RootElement;
        return (grant.GetProperty("grantId").GetString()!, grant.GetProperty("streamToken").GetString()!);
    }

    private sealed record Answer(HttpStatusCode Status, JsonElement Body)
    {
        public string? Problem(HttpStatusCode expected)
        {
            Assert.True(Status == expected, $"{(int)Status}, expected {(int)expected}: {Body}");
            return Body.GetProperty("type").GetString();
        }
    }

    private static async Task<Answer> SendAsync(HttpClient viewer, string cameraId, string? streamToken, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{cameraId}/messages") { Content = JsonContent.Create(new { text }) };
        if (streamToken is not null)
        {
            request.Headers.Add("Stream-Token", streamToken);
        }

        using var response = await viewer.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone());
    }

    private static async Task<Notifications> NotificationsAsync(TestCamera camera)
    {
        var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var response = await camera.Device.GetAsync($"api/ingest/cameras/{camera.CameraId}/notifications", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var events = SseParser.Create(await response.Content.ReadAsStreamAsync(timeout.Token)).EnumerateAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("ready", events.Current.EventType);
        return new Notifications(timeout, response, events);
    }

    private sealed class Notifications(CancellationTokenSource timeout, HttpResponseMessage response, IAsyncEnumerator<SseItem<string>> events) : IAsyncDisposable
    {
        public async Task<JsonElement> NextOfTypeAsync(string type)
        {
            for (;;)
            {
                var (found, data) = await events.NextNotificationAsync();
                if (found == type)
                {
                    return data;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await timeout.CancelAsync();
            await events.DisposeAsync();
            response.Dispose();
            timeout.Dispose();
        }
    }
}
