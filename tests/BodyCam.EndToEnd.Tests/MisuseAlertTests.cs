using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>Misuse rules run over the live audit chain; compliance lists the alerts and acknowledges them with a note.</summary>
[Collection(SystemCollection.Name)]
public sealed class MisuseAlertTests(BodyCamSystem system)
{
    private const string Reason = "Deploying units to the crowd at the north gate";

    [Fact]
    public async Task An_ordinary_view_raises_nothing_and_a_view_with_no_incident_reference_outside_officer_safety_raises_an_alert()
    {
        var camera = await system.RecordingCameraAsync(officerId: "officer2");
        using var officer = await system.ClientForAsync("officer1");
        using var control = await system.ClientForAsync("control1");

        // Ordinary: a colleague in the same command, for officer safety.
        using var ordinary = await officer.PostAsJsonAsync("api/authorisation/view-requests",
            new { cameraId = camera.CameraId, purpose = "officer-safety", reason = "Colleague alone at a disturbance on Broad Street" });
        Assert.Equal(HttpStatusCode.Created, ordinary.StatusCode);
        // Not ordinary: deploying resources with no incident to hang it on.
        using var unanchored = await control.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = camera.CameraId, purpose = "resource-deployment", reason = Reason });
        Assert.Equal(HttpStatusCode.Created, unanchored.StatusCode);

        var alerts = await AlertsEventuallyAsync(a => a.GetProperty("cameraId").GetString() == camera.CameraId, "an alert for the camera");
        // The monitor takes the chain in order: the ordinary view, before it, raised nothing.
        var forCamera = Assert.Single(alerts, a => a.GetProperty("cameraId").GetString() == camera.CameraId);
        Assert.Equal("no-incident-reference", forCamera.GetProperty("rule").GetString());
        Assert.Equal("control1", forCamera.GetProperty("viewerId").GetString());
        Assert.Contains("resource-deployment", forCamera.GetProperty("explanation").GetString());

        // The alert is itself on the record, in the chain: raised, or counted again if control1's
        // alert about officer2 under this rule was already open (alerts merge per rule, viewer, wearer).
        await Eventually.Async(async () =>
        {
            var items = await system.AuditEventsAsync($"cameraId={camera.CameraId}");
            return items.Any(e => e.GetProperty("type").GetString() is "MisuseAlertRaised" or "MisuseAlertRecurred") ? items : null;
        }, TimeSpan.FromSeconds(30), "the alert on the record");
    }

    [Fact]
    public async Task A_burst_of_refused_requests_raises_an_alert_that_compliance_acknowledges_once_with_a_note()
    {
        var camera = await system.RecordingCameraAsync();
        using var supervisor = await system.ClientForAsync("supervisor1");
        for (var i = 0; i < 5; i++)
        {
            using var refused = await supervisor.PostAsJsonAsync("api/authorisation/view-requests",
                new { cameraId = camera.CameraId, purpose = "use-of-force-review", reason = "Reviewing the arrest on the high street" });
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var alerts = await AlertsEventuallyAsync(a => a.GetProperty("rule").GetString() == "refusal-burst" && a.GetProperty("viewerId").GetString() == "supervisor1"
            && a.GetProperty("cameraId").GetString() == camera.CameraId, "a refusal-burst alert for supervisor1");
        var alertId = alerts.First(a => a.GetProperty("cameraId").GetString() == camera.CameraId).GetProperty("id").GetString();

        using var compliance = await system.ClientForAsync("compliance1");
        using var noNote = await compliance.PostAsJsonAsync($"api/audit/alerts/{alertId}/ack", new { note = "" });
        Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        using var acked = await compliance.PostAsJsonAsync($"api/audit/alerts/{alertId}/ack", new { note = "Spoke to the sergeant: training on excluded purposes booked." });
        Assert.Equal(HttpStatusCode.OK, acked.StatusCode);
        var body = await acked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("acknowledged", body.GetProperty("state").GetString());
        Assert.Equal("compliance1", body.GetProperty("acknowledgedBy").GetString());
        using var again = await compliance.PostAsJsonAsync($"api/audit/alerts/{alertId}/ack", new { note = "Second look." });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var unknown = await compliance.PostAsJsonAsync("api/audit/alerts/no-such-alert/ack", new { note = "Second look." });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var open = await compliance.GetFromJsonAsync<JsonElement[]>("api/audit/alerts?state=open");
        Assert.DoesNotContain(open!, a => a.GetProperty("id").GetString() == alertId);
        var closed = await compliance.GetFromJsonAsync<JsonElement[]>("api/audit/alerts?state=acknowledged");
        Assert.Contains(closed!, a => a.GetProperty("id").GetString() == alertId);
        await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=MisuseAlertAcknowledged");

        // Alerts are for compliance: an officer is refused, and the refusal is recorded.
        using var officer = await system.ClientForAsync("officer1");
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.GetAsync("api/audit/alerts")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await compliance.GetAsync("api/audit/alerts?state=maybe")).StatusCode);
    }

    [Fact]
    public async Task An_operator_watching_one_officer_again_and_again_has_one_alert_that_counts_and_opens_again_after_an_acknowledgement()
    {
        var camera = await system.RecordingCameraAsync();
        using var control = await system.ClientForAsync("control1");
        async Task WatchAsync(int times)
        {
            for (var i = 0; i < times; i++)
            {
                using var granted = await control.PostAsJsonAsync("api/authorisation/view-requests",
                    new { cameraId = camera.CameraId, purpose = "resource-deployment", reason = Reason, incidentRef = "INC-2026-501" });
                Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
            }
        }

        bool Repeated(JsonElement a) => a.GetProperty("rule").GetString() == "repeated-viewing" && a.GetProperty("officerId").GetString() == camera.OfficerId;

        // The rule fires at the third and the sixth view: one alert, counted twice.
        await WatchAsync(6);
        var alerts = await AlertsEventuallyAsync(a => Repeated(a) && a.GetProperty("count").GetInt32() == 2, "one repeated-viewing alert counted twice");
        var alert = Assert.Single(alerts, Repeated);
        Assert.Equal("open", alert.GetProperty("state").GetString());
        Assert.True(alert.GetProperty("firstSeq").GetInt64() < alert.GetProperty("seq").GetInt64());
        var alertId = alert.GetProperty("id").GetString();

        using var compliance = await system.ClientForAsync("compliance1");
        using var acked = await compliance.PostAsJsonAsync($"api/audit/alerts/{alertId}/ack", new { note = "Pursuit on the ring road: repeated checks expected." });
        Assert.Equal(HttpStatusCode.OK, acked.StatusCode);

        // Three more views: the same alert opens again (the ninth view), not a new one.
        await WatchAsync(3);
        alerts = await AlertsEventuallyAsync(a => Repeated(a) && a.GetProperty("state").GetString() == "open" && a.GetProperty("count").GetInt32() == 3,
            "the repeated-viewing alert open again with a count of 3");
        Assert.Equal(alertId, Assert.Single(alerts, Repeated).GetProperty("id").GetString());

        // The record says each step: raised, counted again, acknowledged, raised again.
        await system.AuditEventsEventuallyAsync($"officerId={camera.OfficerId}&type=MisuseAlertRecurred");
    }

    private async Task<JsonElement[]> AlertsEventuallyAsync(Func<JsonElement, bool> match, string what)
    {
        using var compliance = await system.ClientForAsync("compliance1");
        return await Eventually.Async(async () =>
        {
            var alerts = await compliance.GetFromJsonAsync<JsonElement[]>("api/audit/alerts?state=all&limit=1000");
            return alerts!.Any(match) ? alerts : null;
        }, TimeSpan.FromSeconds(30), what);
    }
}
