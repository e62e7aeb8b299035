using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// Watching a colleague's camera takes a valid operational reason: through the gateway, with real
/// tokens, PostgreSQL and RabbitMQ. Every decision, granted or refused, is on the audit record.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuthorisationTests(BodyCamSystem system)
{
    private const string Reason = "Colleague alone at a disturbance on Broad Street";

    [Fact]
    public async Task A_granted_request_returns_a_stream_token_that_verifies_against_the_published_keys()
    {
        var camera = await system.RecordingCameraAsync();
        using var officer = await system.ClientForAsync("officer1");

        using var response = await officer.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera.CameraId, purpose = "officer-safety", reason = Reason });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var grant = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("granted", grant.GetProperty("decision").GetString());
        var expiresAt = grant.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddMinutes(9), DateTimeOffset.UtcNow.AddMinutes(11));

        using var anonymous = system.Client();
        var keys = new JsonWebKeySet(await anonymous.GetStringAsync("api/authorisation/.well-known/jwks.json"));
        var validated = await new JsonWebTokenHandler().ValidateTokenAsync(grant.GetProperty("streamToken").GetString(), new TokenValidationParameters
        {
            ValidIssuer = "bodycam-authorisation",
            ValidAudience = "bodycam-streaming",
            IssuerSigningKeys = keys.GetSigningKeys(),
        });
        Assert.True(validated.IsValid, validated.Exception?.Message);
        Assert.Equal(grant.GetProperty("grantId").GetString(), validated.Claims["grant_id"]);
        Assert.Equal(camera.CameraId, validated.Claims["camera_id"]);
        Assert.Equal("officer1", validated.Claims["sub"]);

        var decided = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=ViewRequestDecided");
        var data = decided[0].GetProperty("data");
        Assert.Equal("granted", data.GetProperty("decision").GetString());
        Assert.Equal(Reason, data.GetProperty("reason").GetString());
        Assert.Equal("officer1", data.GetProperty("viewerId").GetString());
        Assert.Equal(grant.GetProperty("policyVersion").GetString(), data.GetProperty("policyVersion").GetString());
    }

    /// <summary>The journey of a refusal: decided by authorisation, on the audit record with its rule (every rule's own test is in-process, in BodyCam.Authorisation.Tests).</summary>
    [Fact]
    public async Task A_ruled_out_purpose_is_refused_and_the_refusal_reaches_the_audit_record_with_its_rule()
    {
        var camera = await system.RecordingCameraAsync();
        using var supervisor = await system.ClientForAsync("supervisor1");

        using var response = await supervisor.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera.CameraId, purpose = "use-of-force-review", reason = Reason, incidentRef = "INC-9" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("excluded-purpose", (await response.ProblemAsync()).GetProperty("rule").GetString());
        await AssertRefusalRecordedAsync(camera.CameraId, "excluded-purpose");
    }

    [Fact]
    public async Task A_request_for_an_officer_resolves_to_their_recording_camera()
    {
        var camera = await system.RecordingCameraAsync();
        using var control = await system.ClientForAsync("control1");

        using var response = await control.PostAsJsonAsync("api/authorisation/view-requests", new { officerId = camera.OfficerId, purpose = "resource-deployment", reason = Reason });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(camera.CameraId, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cameraId").GetString());
    }

    [Fact]
    public async Task Revoking_a_grant_ends_it_and_publishes_the_revocation()
    {
        var camera = await system.RecordingCameraAsync();
        var grantId = await GrantAsync("officer1", camera.CameraId);
        using var supervisor = await system.ClientForAsync("supervisor1");

        using var revoked = await supervisor.PostAsJsonAsync($"api/authorisation/grants/{grantId}/revoke", new { reason = "Incident closed" });

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("revoked", (await revoked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        var events = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=GrantRevoked");
        Assert.Equal("supervisor1", events[0].GetProperty("actorId").GetString());
        Assert.Equal("Incident closed", events[0].GetProperty("data").GetProperty("reason").GetString());
        using var again = await supervisor.PostAsJsonAsync($"api/authorisation/grants/{grantId}/revoke", new { reason = "Incident closed" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task A_grant_expires_on_time_with_nobody_reading()
    {
        var camera = await system.RecordingCameraAsync();
        await GrantAsync("officer1", camera.CameraId, durationSeconds: 2);

        var expired = await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=GrantExpired");

        Assert.Equal("authorisation", expired[0].GetProperty("actorId").GetString());
    }

    [Fact]
    public async Task The_viewer_extends_a_grant_with_a_reason_and_gets_a_new_token()
    {
        var camera = await system.RecordingCameraAsync();
        var grantId = await GrantAsync("officer1", camera.CameraId, durationSeconds: 60);
        using var officer = await system.ClientForAsync("officer1");
        using var other = await system.ClientForAsync("officer2");

        using var extended = await officer.PostAsJsonAsync($"api/authorisation/grants/{grantId}/extend", new { reason = "Still alone, backup is five minutes out" });
        using var noReason = await officer.PostAsJsonAsync($"api/authorisation/grants/{grantId}/extend", new { });
        using var notTheirs = await other.PostAsJsonAsync($"api/authorisation/grants/{grantId}/extend", new { reason = "Still alone, backup is five minutes out" });

        Assert.Equal(HttpStatusCode.OK, extended.StatusCode);
        var body = await extended.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrEmpty(body.GetProperty("streamToken").GetString()));
        Assert.True(body.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(30));
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notTheirs.StatusCode);
        await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=GrantExtended");
    }

    [Fact]
    public async Task A_pending_two_person_request_is_approved_by_a_supervisor_and_then_granted()
    {
        var camera = await system.RecordingCameraAsync();
        using var control = await system.ClientForAsync("control1");
        using var supervisor = await system.ClientForAsync("supervisor1");

        using var asked = await control.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera.CameraId, purpose = "evidence-advice", reason = Reason, incidentRef = "INC-2026-77" });
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var pending = await asked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pending", pending.GetProperty("decision").GetString());
        Assert.Equal("supervisor", pending.GetProperty("approverRole").GetString());
        var requestId = pending.GetProperty("requestId").GetString();
        Assert.Null((await GrantAsViewerAsync("control1", requestId!)).GetProperty("streamToken").GetString());

        var waiting = await supervisor.GetFromJsonAsync<JsonElement[]>("api/authorisation/view-requests?state=pending");
        Assert.Contains(waiting!, r => r.GetProperty("grantId").GetString() == requestId);
        using var approved = await supervisor.PostAsJsonAsync($"api/authorisation/view-requests/{requestId}/approve", new { note = "Evidence advice agreed" });
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);

        var granted = await GrantAsViewerAsync("control1", requestId!);
        Assert.Equal("active", granted.GetProperty("state").GetString());
        Assert.Equal("supervisor1", granted.GetProperty("decidedBy").GetString());
        Assert.False(string.IsNullOrEmpty(granted.GetProperty("streamToken").GetString()));
        var record = await system.AuditEventsEventuallyAsync($"incidentRef=INC-2026-77", count: 2);
        Assert.Contains(record, e => e.GetProperty("type").GetString() == "ViewRequestDecided" && e.GetProperty("actorId").GetString() == "control1");
        Assert.Contains(record, e => e.GetProperty("type").GetString() == "ViewRequestApproved" && e.GetProperty("actorId").GetString() == "supervisor1");
    }

    [Fact]
    public async Task A_policy_change_is_picked_up_and_the_next_decision_carries_the_new_version()
    {
        var camera = await system.RecordingCameraAsync();
        using var officer = await system.ClientForAsync("officer1");
        var before = (await officer.GetFromJsonAsync<JsonElement>("api/authorisation/policy")).GetProperty("version").GetString();

        var text = await File.ReadAllTextAsync(system.PolicyFile);
        await File.WriteAllTextAsync(system.PolicyFile, text.Replace("\"description\": \"", $"\"description\": \"Revised {Guid.NewGuid():N}. ", StringComparison.Ordinal));
        var after = await Eventually.Async(async () =>
        {
            var version = (await officer.GetFromJsonAsync<JsonElement>("api/authorisation/policy")).GetProperty("version").GetString();
            return version != before ? version : null;
        }, what: "the changed policy to be in force");

        using var response = await officer.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera.CameraId, purpose = "officer-safety", reason = Reason });
        Assert.Equal(after, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("policyVersion").GetString());
    }

    [Fact]
    public async Task An_officer_lists_only_their_own_grants_and_a_supervisor_sees_all()
    {
        var camera = await system.RecordingCameraAsync();
        await GrantAsync("officer1", camera.CameraId);
        await GrantAsync("control1", camera.CameraId, purpose: "resource-deployment");
        using var officer = await system.ClientForAsync("officer1");
        using var supervisor = await system.ClientForAsync("supervisor1");

        var mine = await officer.GetFromJsonAsync<JsonElement[]>($"api/authorisation/grants?cameraId={camera.CameraId}&viewerId=control1");
        var all = await supervisor.GetFromJsonAsync<JsonElement[]>($"api/authorisation/grants?active=true&cameraId={camera.CameraId}");

        Assert.Equal("officer1", Assert.Single(mine!).GetProperty("viewerId").GetString());
        Assert.Equal(2, all!.Length);
        Assert.All(all, g => Assert.Null(g.GetProperty("streamToken").GetString()));
    }

    [Fact]
    public async Task The_wearers_camera_is_told_who_may_watch_and_when_that_ends_and_can_list_them()
    {
        var camera = await system.RecordingCameraAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        using var feed = await camera.Device.GetAsync($"api/ingest/cameras/{camera.CameraId}/notifications", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        await using var stream = await feed.Content.ReadAsStreamAsync(timeout.Token);
        await using var events = System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("ready", events.Current.EventType);

        var grantId = await GrantAsync("officer1", camera.CameraId);
        var granted = await events.NextNotificationAsync();
        Assert.Equal("watch-granted", granted.Type);
        Assert.Equal("officer1", granted.Data.GetProperty("viewerId").GetString());
        Assert.Equal("officer-safety", granted.Data.GetProperty("purpose").GetString());

        var listed = await Eventually.Async(async () =>
        {
            var viewers = await camera.Device.GetFromJsonAsync<JsonElement[]>($"api/ingest/cameras/{camera.CameraId}/viewers");
            return viewers!.Length == 1 ? viewers : null;
        }, what: "the viewer in the camera's list");
        Assert.Equal("officer1", listed[0].GetProperty("viewerId").GetString());
        Assert.Equal("officer", listed[0].GetProperty("role").GetString());

        using var supervisor = await system.ClientForAsync("supervisor1");
        using var revoked = await supervisor.PostAsJsonAsync($"api/authorisation/grants/{grantId}/revoke", new { reason = "Backup arrived" });
        var ended = await events.NextNotificationAsync();
        Assert.Equal("watch-ended", ended.Type);
        Assert.Equal("officer1", ended.Data.GetProperty("viewerId").GetString());
        await Eventually.Async(async () =>
        {
            var viewers = await camera.Device.GetFromJsonAsync<JsonElement[]>($"api/ingest/cameras/{camera.CameraId}/viewers");
            return viewers!.Length == 0 ? viewers : null;
        }, what: "the list to empty after the revocation");
    }

    [Fact]
    public async Task The_wearer_lists_their_cameras_viewers_and_another_officer_may_not()
    {
        var camera = await system.RecordingCameraAsync(officerId: "officer2");
        using var wearer = await system.ClientForAsync("officer2");
        using var other = await system.ClientForAsync("officer3");

        using var allowed = await wearer.GetAsync($"api/ingest/cameras/{camera.CameraId}/viewers");
        using var refused = await other.GetAsync($"api/ingest/cameras/{camera.CameraId}/viewers");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task An_incidents_timeline_tells_the_whole_story_in_order()
    {
        var camera = await system.RecordingCameraAsync();
        await camera.ReportAtAsync(Spot.Random());
        var incident = $"INC-{Guid.NewGuid():N}"[..14];
        using var control = await system.ClientForAsync("control1");
        using var supervisor = await system.ClientForAsync("supervisor1");
        using var asked = await control.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera.CameraId, purpose = "evidence-advice", reason = Reason, incidentRef = incident });
        var requestId = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requestId").GetString();
        using var approved = await supervisor.PostAsJsonAsync($"api/authorisation/view-requests/{requestId}/approve", new { note = "agreed" });
        using var revoked = await supervisor.PostAsJsonAsync($"api/authorisation/grants/{requestId}/revoke", new { reason = "Evidence captured" });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        using var compliance = await system.ClientForAsync("compliance1");

        // Audit records facts as they arrive, and facts about one grant may arrive a moment apart:
        // wait for the whole story, then check it is told in order.
        string[] story = ["RecordingStarted", "TelemetryReported", "ViewRequestDecided", "ViewRequestApproved", "GrantRevoked"];
        var timeline = await Eventually.Async(async () =>
        {
            var answer = await compliance.GetFromJsonAsync<JsonElement>($"api/audit/timeline?incidentRef={incident}");
            var types = answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("type").GetString()).ToHashSet();
            return story.All(types.Contains) ? (object)answer : null;
        }, what: "the whole story in the incident's timeline");
        var items = ((JsonElement)timeline).GetProperty("items").EnumerateArray().ToList();

        var positions = story.Select(type => items.FindIndex(i => i.GetProperty("type").GetString() == type)).ToList();
        Assert.All(positions.Zip(story), p => Assert.True(p.First >= 0, $"{p.Second} is missing from the timeline"));
        Assert.Equal(positions.Order(), positions);
        var times = items.Select(i => i.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(camera.CameraId, Assert.Single(((JsonElement)timeline).GetProperty("cameraIds").EnumerateArray()).GetString());
    }

    /// <summary>A camera issued to an officer in command B, recording, and known as such to authorisation.</summary>
    private async Task<string> GrantAsync(string viewer, string cameraId, string purpose = "officer-safety", int? durationSeconds = null)
    {
        using var http = await system.ClientForAsync(viewer);
        using var response = await http.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId, purpose, reason = Reason, durationSeconds });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("grantId").GetString()!;
    }

    private async Task<JsonElement> GrantAsViewerAsync(string viewer, string grantId)
    {
        using var http = await system.ClientForAsync(viewer);
        return await http.GetFromJsonAsync<JsonElement>($"api/authorisation/view-requests/{grantId}");
    }

    private async Task AssertRefusalRecordedAsync(string cameraId, string rule)
    {
        var decided = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}&type=ViewRequestDecided");
        Assert.Contains(decided, e => e.GetProperty("data").GetProperty("decision").GetString() == "denied" && e.GetProperty("data").GetProperty("rule").GetString() == rule);
    }
}
