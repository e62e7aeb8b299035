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

        // The alert is itself on the record, in the chain.
        await system.AuditEventsEventuallyAsync($"cameraId={camera.CameraId}&type=MisuseAlertRaised");
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
