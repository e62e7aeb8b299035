using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using CloudNative.CloudEvents.Extensions;
using MassTransit;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Integration;

/// <summary>
/// A CAD system subscribed to BodyCam's events: signed CloudEvents at least once, in order, retried,
/// dead-lettered and replayed; one receiver's troubles delay no other.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class WebhookTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_recording_started_near_an_incident_reaches_the_subscriber_as_a_valid_signed_CloudEvent()
    {
        var here = Spot.Random();
        var incident = $"INC-{Guid.NewGuid():N}"[..16];
        await using var receiver = await WebhookReceiver.StartAsync();
        using var cad = await system.CadAsync();
        await cad.SubscribeAsync(receiver, ["uk.police.bodycam.operation.entered", "uk.police.bodycam.recording.started"], new { incidentRef = incident });

        using var control = await system.ClientForAsync("control1");
        double[][] ring = [[here.Lon, here.Lat], [here.Lon + 0.01, here.Lat], [here.Lon + 0.01, here.Lat + 0.01], [here.Lon, here.Lat + 0.01], [here.Lon, here.Lat]];
        using var opened = await control.PostAsJsonAsync("api/location/operations",
            new { name = "Cup final", kind = "football", area = new { type = "Polygon", coordinates = new[] { ring } }, incidentRef = incident });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var camera = await system.EnlistAsync();
        var farAway = await system.EnlistAsync();
        // Integration hears of the operation before the officer walks into it.
        await Eventually.Async(() => IncidentKnownAsync(cad, incident), what: "integration to know the operation");
        await camera.ReportAtAsync(here.Offset(0.005, 0.005));
        await farAway.ReportAtAsync(here.Offset(1, 1));
        await Eventually.Async(() => Task.FromResult(receiver.Accepted.Count >= 1 ? receiver : null), what: "the officer entering the incident's area");

        await camera.SetRecordingAsync(true);
        await farAway.SetRecordingAsync(true);
        var started = await Eventually.Async(() => Task.FromResult(receiver.Accepted.FirstOrDefault(e => e.Type == "uk.police.bodycam.recording.started")),
            what: "the recording-started CloudEvent");

        Assert.All(receiver.All, r => Assert.True(r.SignatureValid, r.SignatureError));
        Assert.Equal("1.0", started.SpecVersion.VersionId);
        Assert.Equal(camera.CameraId, started.Subject);
        Assert.Equal("application/json", started.DataContentType);
        Assert.NotNull(started.GetSequenceValue());
        var data = (JsonElement)started.Data!;
        Assert.Equal(camera.OfficerId, data.GetProperty("officerId").GetString());
        Assert.True(data.GetProperty("recording").GetBoolean());
        Assert.Equal(incident, data.GetProperty("operations")[0].GetProperty("incidentRef").GetString());
        Assert.DoesNotContain("token", receiver.All[^1].Body, StringComparison.OrdinalIgnoreCase);
        // Only the officer near the incident: the other started recording far from it.
        Assert.DoesNotContain(receiver.Accepted, e => e.Subject == farAway.CameraId);

        // A signature made with another secret does not verify: the receiver would reject a forgery.
        var forged = receiver.All[^1];
        Assert.ThrowsAny<Exception>(() => new StandardWebhooks.StandardWebhook("whsec_" + Convert.ToBase64String(new byte[32]))
            .Verify(forged.Body, new Microsoft.AspNetCore.Http.HeaderDictionary()));
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_gets_the_event_on_the_third_try_and_the_next_one_after_it()
    {
        var command = IntegrationApi.NewCommand();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = attempt => attempt <= 2 ? HttpStatusCode.InternalServerError : HttpStatusCode.OK;
        using var cad = await system.CadAsync();
        await cad.SubscribeAsync(receiver, ["uk.police.bodycam.recording.started", "uk.police.bodycam.recording.stopped"], new { command });

        var camera = await system.EnlistAsync(command: command);
        await camera.SetRecordingAsync(true, DateTimeOffset.UtcNow.AddSeconds(-2));
        await camera.SetRecordingAsync(false, DateTimeOffset.UtcNow);
        await Eventually.Async(() => Task.FromResult(receiver.Accepted.Count >= 2 ? receiver : null), what: "both events taken");

        var all = receiver.All;
        Assert.Equal([HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError, HttpStatusCode.OK, HttpStatusCode.OK],
            all.Take(4).Select(r => r.Answer));
        Assert.Equal("uk.police.bodycam.recording.started", all[0].Event!.Type);
        Assert.Equal(all[0].Event!.Id, all[2].Event!.Id); // the same event, tried again
        Assert.Equal(["uk.police.bodycam.recording.started", "uk.police.bodycam.recording.stopped"], receiver.Accepted.Select(e => e.Type));
        Assert.True(long.Parse((string)receiver.Accepted[0].GetSequenceValue()!) < long.Parse((string)receiver.Accepted[1].GetSequenceValue()!));
        Assert.All(all, r => Assert.True(r.SignatureValid, r.SignatureError));
    }

    [Fact]
    public async Task A_dead_receivers_events_are_dead_lettered_with_why_while_others_are_served_and_replay_later_in_order()
    {
        var command = IntegrationApi.NewCommand();
        string[] types = ["uk.police.bodycam.recording.started", "uk.police.bodycam.recording.stopped"];
        await using var dead = await WebhookReceiver.StartAsync();
        dead.Answer = _ => HttpStatusCode.ServiceUnavailable;
        await using var slow = await WebhookReceiver.StartAsync();
        slow.Delay = TimeSpan.FromSeconds(30);
        await using var healthy = await WebhookReceiver.StartAsync();
        using var cad = await system.CadAsync();
        var deadSubscription = (await cad.SubscribeAsync(dead, types, new { command })).GetProperty("id").GetString();
        await cad.SubscribeAsync(slow, types, new { command });
        await cad.SubscribeAsync(healthy, types, new { command });

        var camera = await system.EnlistAsync(command: command);
        await camera.SetRecordingAsync(true, DateTimeOffset.UtcNow.AddSeconds(-2));
        await camera.SetRecordingAsync(false, DateTimeOffset.UtcNow);

        // The healthy receiver has both while the slow one has not finished a single attempt.
        await Eventually.Async(() => Task.FromResult(healthy.Accepted.Count >= 2 ? healthy : null), what: "the healthy receiver served");
        Assert.Empty(slow.All);

        var letters = await Eventually.Async(async () =>
        {
            var list = await cad.GetFromJsonAsync<JsonElement[]>($"api/integrations/webhooks/{deadSubscription}/dead-letters");
            return list!.Length >= 2 ? list : null;
        }, what: "both events dead-lettered");
        Assert.Equal(types, letters.Select(l => l.GetProperty("type").GetString()));
        Assert.All(letters, l => Assert.Contains("503", l.GetProperty("error").GetString()));
        Assert.All(letters, l => Assert.Equal(4, l.GetProperty("attempts").GetInt32()));
        var view = await cad.GetFromJsonAsync<JsonElement>($"api/integrations/webhooks/{deadSubscription}");
        Assert.Equal(2, view.GetProperty("deliveries").GetProperty("deadLettered").GetInt32());
        Assert.Contains("503", view.GetProperty("deliveries").GetProperty("lastError").GetString());
        Assert.False(view.TryGetProperty("secret", out var secret) && secret.ValueKind == JsonValueKind.String);

        // The receiver is mended; its client replays the dead letters and gets them in order.
        dead.Answer = _ => HttpStatusCode.NoContent;
        using var replay = await cad.PostAsync($"api/integrations/webhooks/{deadSubscription}/dead-letters/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        await Eventually.Async(() => Task.FromResult(dead.Accepted.Count >= 2 ? dead : null), what: "the replayed events delivered");
        Assert.Equal(types, dead.Accepted.Select(e => e.Type));
        Assert.Empty(await cad.GetFromJsonAsync<JsonElement[]>($"api/integrations/webhooks/{deadSubscription}/dead-letters") ?? []);
        var record = await system.AuditEventsEventuallyAsync("type=WebhookDeliveryDeadLettered", 2);
        Assert.Contains(record, e => e.GetProperty("data").GetProperty("subscriptionId").GetString() == deadSubscription);
    }

    [Fact]
    public async Task A_flood_of_events_reaches_a_healthy_receiver_whole_and_in_order_while_an_unreachable_one_is_dead_lettered_and_the_service_stays_ready()
    {
        var command = IntegrationApi.NewCommand();
        string[] types = ["uk.police.bodycam.recording.started", "uk.police.bodycam.recording.stopped"];
        await using var healthy = await WebhookReceiver.StartAsync();
        using var cad = await system.CadAsync();
        await cad.SubscribeAsync(healthy, types, new { command });
        // Nothing listens on this port: every attempt is refused.
        using var unreachable = await cad.PostAsJsonAsync("api/integrations/webhooks",
            new { url = $"http://127.0.0.2:{ServiceProcess.FreePort()}/gone", types, filters = new { command } });
        var unreachableId = (await unreachable.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var camera = await system.EnlistAsync(command: command);
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        const int flood = 120;
        for (var i = 0; i < flood; i++)
        {
            await camera.SetRecordingAsync(i % 2 == 0, start.AddSeconds(i));
        }

        await Eventually.Async(() => Task.FromResult(healthy.Accepted.Count >= flood ? healthy : null), TimeSpan.FromSeconds(60), "every event of the flood");
        Assert.Equal(Enumerable.Range(0, flood).Select(i => start.AddSeconds(i)), healthy.Accepted.Take(flood).Select(e => e.Time!.Value));
        Assert.Equal(flood, healthy.Accepted.Select(e => e.Id).Distinct().Count());
        using (var ready = await new HttpClient().GetAsync(new Uri(system.Service("integration").Address, "health/ready")))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var letters = await Eventually.Async(async () =>
        {
            var list = await cad.GetFromJsonAsync<JsonElement[]>($"api/integrations/webhooks/{unreachableId}/dead-letters");
            return list!.Length >= 1 ? list : null;
        }, what: "the unreachable receiver's first dead letter");
        Assert.Contains("could not be reached", letters[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_camera_whose_positions_arrive_before_its_assignment_enters_the_incidents_area_when_assigned()
    {
        var here = Spot.Random();
        var incident = $"INC-{Guid.NewGuid():N}"[..16];
        await using var receiver = await WebhookReceiver.StartAsync();
        using var cad = await system.CadAsync();
        await cad.SubscribeAsync(receiver, ["uk.police.bodycam.operation.entered"], new { incidentRef = incident });
        using var control = await system.ClientForAsync("control1");
        double[][] ring = [[here.Lon, here.Lat], [here.Lon + 0.01, here.Lat], [here.Lon + 0.01, here.Lat + 0.01], [here.Lon, here.Lat + 0.01], [here.Lon, here.Lat]];
        using var opened = await control.PostAsJsonAsync("api/location/operations",
            new { name = "Derby day", kind = "football", area = new { type = "Polygon", coordinates = new[] { ring } }, incidentRef = incident });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        await Eventually.Async(() => IncidentKnownAsync(cad, incident), what: "integration to know the operation");

        // Facts from different subjects may arrive in either order: here the position comes first,
        // published as ingest would, then the assignment.
        var cameraId = Api.NewCameraId();
        var inside = here.Offset(0.005, 0.005);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(system.RabbitMq));
            cfg.Publish<BodyCam.Contracts.IIntegrationEvent>(p => p.Exclude = true);
        });
        await bus.StartAsync();
        try
        {
            var now = DateTimeOffset.UtcNow;
            await bus.Publish(new BodyCam.Contracts.Telemetry.TelemetryReported(cameraId,
                [new BodyCam.Contracts.Telemetry.TelemetrySample(now, inside.Lat, inside.Lon, 5, null, null, 80)], cameraId, now, Guid.NewGuid()));
            await bus.Publish(new BodyCam.Contracts.Cameras.CameraAssigned(cameraId, "officer-late", "B-LATE", "B", "supervisor1", now.AddSeconds(1), Guid.NewGuid()));
        }
        finally
        {
            await bus.StopAsync();
        }

        var entered = await Eventually.Async(() => Task.FromResult(receiver.Accepted.FirstOrDefault(e => e.Subject == cameraId)), what: "the officer entering the area on assignment");
        Assert.Equal("uk.police.bodycam.operation.entered", entered.Type);
        var data = (JsonElement)entered.Data!;
        Assert.Equal(incident, data.GetProperty("incidentRef").GetString());
        Assert.Equal("officer-late", data.GetProperty("camera").GetProperty("officerId").GetString());
        Assert.All(receiver.All, r => Assert.True(r.SignatureValid, r.SignatureError));
    }

    private static async Task<object?> IncidentKnownAsync(HttpClient cad, string incident)
    {
        using var response = await cad.GetAsync($"api/integrations/incidents/{incident}/cameras");
        return response.StatusCode == HttpStatusCode.OK ? response : null;
    }
}
