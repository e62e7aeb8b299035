using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.Authorisation.Tests;

/// <summary>
/// The rules of asking to watch and of ending a grant, through authorisation's own HTTP API in this
/// process: every refusal a clear problem naming its rule, nothing granted, and each on the record.
/// (Were end-to-end tests; the journeys that need other services stay there.)
/// </summary>
public sealed class ViewRequestRulesTests(AuthorisationHost host) : IClassFixture<AuthorisationHost>
{
    private const string Reason = "Colleague alone at a disturbance";

    [Theory]
    [InlineData("use-of-force-review")]
    [InlineData("stop-and-search-review")]
    [InlineData("performance-monitoring")]
    public async Task An_excluded_purpose_is_refused_naming_the_rule_and_the_refusal_is_recorded(string purpose)
    {
        var camera = await host.CameraAsync();
        using var supervisor = host.ClientFor("supervisor1", "supervisor", "B", "supervisor1");

        using var response = await supervisor.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera, purpose, reason = Reason, incidentRef = "INC-9" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:view-denied", problem.GetProperty("type").GetString());
        Assert.Equal("denied", problem.GetProperty("decision").GetString());
        Assert.Equal("excluded-purpose", problem.GetProperty("rule").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("explanation").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("policyVersion").GetString()));
        await AssertDeniedOnRecordAsync(camera, "excluded-purpose");
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { "no reason", """{"cameraId":"{camera}","purpose":"officer-safety"}""", "reason-required" },
        { "a short reason", """{"cameraId":"{camera}","purpose":"officer-safety","reason":"checking"}""", "reason-required" },
        { "an unknown purpose", """{"cameraId":"{camera}","purpose":"curiosity","reason":"Colleague alone at a disturbance"}""", "unknown-purpose" },
        { "no purpose", """{"cameraId":"{camera}","reason":"Colleague alone at a disturbance"}""", "purpose-required" },
        { "a camera and an officer", """{"cameraId":"{camera}","officerId":"x","purpose":"officer-safety","reason":"Colleague alone at a disturbance"}""", "camera-or-officer" },
        { "incident command without an incident", """{"cameraId":"{camera}","purpose":"incident-command","reason":"Colleague alone at a disturbance"}""", "incident-ref-required" },
        { "a malformed incident reference", """{"cameraId":"{camera}","purpose":"incident-command","reason":"Colleague alone at a disturbance","incidentRef":"INC 7; DROP"}""", "incident-ref-format" },
        { "a reason over 1000 characters", """{"cameraId":"{camera}","purpose":"officer-safety","reason":"{long}"}""", "reason-too-long" },
        { "a duration of zero", """{"cameraId":"{camera}","purpose":"officer-safety","reason":"Colleague alone at a disturbance","durationSeconds":0}""", "duration-positive" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_a_clear_problem_nothing_is_granted_and_the_refusal_is_recorded(string why, string body, string rule)
    {
        var camera = await host.CameraAsync();
        using var supervisor = host.ClientFor("supervisor1", "supervisor", "B", "supervisor1");

        using var response = await supervisor.PostAsync("api/authorisation/view-requests", new StringContent(
            body.Replace("{camera}", camera, StringComparison.Ordinal).Replace("{long}", new string('x', 1001), StringComparison.Ordinal), Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        Assert.Equal(rule, (await response.ProblemAsync()).GetProperty("rule").GetString());
        await AssertDeniedOnRecordAsync(camera, rule);
    }

    [Fact]
    public async Task Unknown_cameras_and_officers_are_404_and_a_camera_not_recording_is_a_403_denial_each_on_the_record()
    {
        var idle = await host.CameraAsync(recording: false);
        using var supervisor = host.ClientFor("supervisor1", "supervisor", "B", "supervisor1");

        using var unknownCamera = await supervisor.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = "CAM-NOBODY", purpose = "officer-safety", reason = Reason });
        using var unknownOfficer = await supervisor.PostAsJsonAsync("api/authorisation/view-requests", new { officerId = "nobody-at-all", purpose = "officer-safety", reason = Reason });
        using var notRecording = await supervisor.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = idle, purpose = "officer-safety", reason = Reason });

        Assert.Equal(HttpStatusCode.NotFound, unknownCamera.StatusCode);
        Assert.Equal("unknown-camera", (await unknownCamera.ProblemAsync()).GetProperty("rule").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknownOfficer.StatusCode);
        Assert.Equal("unknown-officer", (await unknownOfficer.ProblemAsync()).GetProperty("rule").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, notRecording.StatusCode);
        var denial = await notRecording.ProblemAsync();
        Assert.Equal(("camera-not-recording", "denied"), (denial.GetProperty("rule").GetString(), denial.GetProperty("decision").GetString()));
        await AssertDeniedOnRecordAsync(idle, "camera-not-recording");
        await AssertDeniedOnRecordAsync("CAM-NOBODY", "unknown-camera");
    }

    [Fact]
    public async Task Compliance_never_watches_and_nobody_watches_their_own_camera()
    {
        var camera = await host.CameraAsync();
        var own = await host.CameraAsync(wearer: "officer2");
        using var compliance = host.ClientFor("compliance1", "compliance");
        using var officer2 = host.ClientFor("officer2", "officer", "B", "officer2");

        using var refusedCompliance = await compliance.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera, purpose = "officer-safety", reason = Reason });
        using var refusedOwn = await officer2.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = own, purpose = "officer-safety", reason = Reason });

        Assert.Equal("compliance-never-watches", (await refusedCompliance.ProblemAsync()).GetProperty("rule").GetString());
        Assert.Equal("own-camera", (await refusedOwn.ProblemAsync()).GetProperty("rule").GetString());
    }

    [Fact]
    public async Task An_officer_may_not_revoke_someone_elses_grant_and_the_refusal_is_recorded()
    {
        var camera = await host.CameraAsync();
        using var control = host.ClientFor("control1", "control-room");
        using var granted = await control.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera, purpose = "resource-deployment", reason = Reason });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        var grantId = (await granted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("grantId").GetString()!;
        using var officer = host.ClientFor("officer4", "officer", "B", "officer4");

        using var refused = await officer.PostAsJsonAsync($"api/authorisation/grants/{grantId}/revoke", new { reason = "Not mine to revoke" });
        using var blank = await control.PostAsJsonAsync($"api/authorisation/grants/{grantId}/revoke", new { reason = "  " });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.Contains(await host.RefusalsAsync(), r => r.ActorId == "officer4" && r.Path.Contains(grantId, StringComparison.Ordinal));
        Assert.Equal("active", (await (await control.GetAsync($"api/authorisation/view-requests/{grantId}")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_supervisor_cannot_approve_their_own_request_and_a_refused_request_grants_nothing()
    {
        var camera = await host.CameraAsync();
        using var supervisor = host.ClientFor("supervisor1", "supervisor", "B", "supervisor1");
        using var control = host.ClientFor("control1", "control-room");

        using var own = await supervisor.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera, purpose = "evidence-advice", reason = Reason, incidentRef = "INC-3" });
        Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
        var ownId = (await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requestId").GetString();
        using var selfApproved = await supervisor.PostAsJsonAsync($"api/authorisation/view-requests/{ownId}/approve", new { });
        using var asked = await control.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera, purpose = "evidence-advice", reason = Reason, incidentRef = "INC-3" });
        var askedId = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requestId").GetString();
        using var refused = await supervisor.PostAsJsonAsync($"api/authorisation/view-requests/{askedId}/refuse", new { note = "Not proportionate" });
        using var again = await supervisor.PostAsJsonAsync($"api/authorisation/view-requests/{askedId}/approve", new { });

        Assert.Equal(HttpStatusCode.Forbidden, selfApproved.StatusCode);
        Assert.Contains(await host.RefusalsAsync(), r => r.ActorId == "supervisor1" && r.Path.Contains(ownId!, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var after = await (await control.GetAsync($"api/authorisation/view-requests/{askedId}")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("refused", after.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("streamToken").ValueKind);
    }

    [Theory]
    [InlineData("state=bogus")]
    [InlineData("state=Active")]
    public async Task Listing_requests_in_a_state_that_does_not_exist_is_a_clear_problem(string query)
    {
        using var supervisor = host.ClientFor("supervisor1", "supervisor", "B", "supervisor1");
        using var response = await supervisor.GetAsync($"api/authorisation/view-requests?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ProblemAsync()).GetProperty("errors").TryGetProperty("state", out _));
    }

    private async Task AssertDeniedOnRecordAsync(string cameraId, string rule)
    {
        var decisions = await host.DecisionsAsync(cameraId);
        Assert.Contains(decisions, d => d.Decision == "denied" && d.Rule == rule);
        Assert.DoesNotContain(decisions, d => d.Decision == "granted");
    }
}
