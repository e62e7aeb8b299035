using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using MassTransit;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// "We are able to map every officer with a camera and see which ones are recording": cameras report
/// through the gateway; the control room reads the live map.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class LiveMapTests(BodyCamSystem system)
{
    [Fact]
    public async Task A_fleet_reports_and_the_map_shows_each_officer_at_the_latest_position_with_the_right_recording_state()
    {
        var here = Spot.Random();
        var fleet = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => system.EnlistAsync()));
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < fleet.Length; i++)
        {
            // Each batch holds an earlier sample after the latest: the latest time wins, not the last in the list.
            using var reported = await fleet[i].ReportAsync(
                (now.AddSeconds(-10), here.Offset(0.001 * i, 0)),
                (now, here.Offset(0.01 * i, 0.01)),
                (now.AddSeconds(-5), here.Offset(0.002 * i, 0)));
            Assert.Equal(HttpStatusCode.Accepted, reported.StatusCode);
        }

        await fleet[1].SetRecordingAsync(true);
        await fleet[3].SetRecordingAsync(true);

        var map = await system.MapEventuallyAsync($"bbox={here.Box}",
            f => f.Length == 5 && f.Count(x => x.GetProperty("properties").GetProperty("recording").GetBoolean()) == 2,
            "five officers on the map, two recording");
        for (var i = 0; i < fleet.Length; i++)
        {
            var feature = map.Officer(fleet[i].OfficerId) ?? throw new Xunit.Sdk.XunitException($"{fleet[i].OfficerId} is not on the map");
            var (lat, lon) = feature.Position();
            Assert.Equal(here.Lat + (0.01 * i), lat, 9);
            Assert.Equal(here.Lon + 0.01, lon, 9);
            var properties = feature.GetProperty("properties");
            Assert.Equal(fleet[i].CameraId, properties.GetProperty("cameraId").GetString());
            Assert.Equal(i is 1 or 3, properties.GetProperty("recording").GetBoolean());
            Assert.Equal("B", properties.GetProperty("command").GetString());
            Assert.Equal(80.0, properties.GetProperty("batteryPct").GetDouble());
        }

        var recordingOnly = await system.MapAsync($"bbox={here.Box}&recording=true");
        Assert.Equal(new[] { fleet[1].OfficerId, fleet[3].OfficerId }.Order(StringComparer.Ordinal), recordingOnly.Select(f => f.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Nearest_lists_officers_nearest_first_with_great_circle_distances()
    {
        var here = Spot.Random();
        var fleet = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => system.EnlistAsync()));
        // North of the query point by 0.03, 0.01, 0.04 and 0.02 degrees of latitude.
        double[] north = [0.03, 0.01, 0.04, 0.02];
        for (var i = 0; i < fleet.Length; i++)
        {
            await fleet[i].ReportAtAsync(here.Offset(north[i], 0));
        }

        await fleet[2].SetRecordingAsync(true);
        // Four on the map, and the third one's recording known there (facts arrive asynchronously).
        await system.MapEventuallyAsync($"bbox={here.Box}&recording=true", f => f.Length == 1, "the recording officer on the map");
        await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 4, "four officers on the map");
        using var http = await system.ClientForAsync("officer1");

        var nearest = (await http.GetFromJsonAsync<JsonElement[]>(FormattableString.Invariant($"api/location/officers/nearest?lat={here.Lat}&lon={here.Lon}&count=3")))!;

        Assert.Equal([fleet[1].OfficerId, fleet[3].OfficerId, fleet[0].OfficerId], nearest.Select(n => n.GetProperty("officerId").GetString()));
        // Along a meridian the great-circle distance is the arc: degrees × π/180 × the Earth's mean radius.
        var metresPerDegree = Math.PI / 180 * 6_371_008.8;
        Assert.Equal(0.01 * metresPerDegree, nearest[0].GetProperty("distanceM").GetDouble(), 0);
        Assert.Equal(0.02 * metresPerDegree, nearest[1].GetProperty("distanceM").GetDouble(), 0);
        Assert.Equal(0.03 * metresPerDegree, nearest[2].GetProperty("distanceM").GetDouble(), 0);

        var recording = await http.GetFromJsonAsync<JsonElement[]>(FormattableString.Invariant($"api/location/officers/nearest?lat={here.Lat}&lon={here.Lon}&count=1&recording=true"));
        Assert.Equal(fleet[2].OfficerId, Assert.Single(recording!).GetProperty("officerId").GetString());
    }

    [Fact]
    public async Task A_docked_camera_leaves_the_map()
    {
        var here = Spot.Random();
        var staying = await system.EnlistAsync();
        var docking = await system.EnlistAsync();
        await staying.ReportAtAsync(here);
        await docking.ReportAtAsync(here.Offset(0.001, 0));
        await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 2, "both officers on the map");

        using var supervisor = await system.ClientForAsync("supervisor1");
        using var docked = await supervisor.DeleteAsync($"api/ingest/cameras/{docking.CameraId}/assignment");
        Assert.Equal(HttpStatusCode.NoContent, docked.StatusCode);

        var map = await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 1, "only the officer still assigned");
        Assert.Equal(staying.OfficerId, map[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_older_sample_never_moves_an_officer_backwards_and_a_repeated_batch_adds_nothing()
    {
        var here = Spot.Random();
        var camera = await system.EnlistAsync();
        // All samples after the assignment (cameras may run up to two minutes ahead): only then are they the officer's track.
        var now = DateTimeOffset.UtcNow.AddSeconds(30);
        await camera.ReportAtAsync(here.Offset(0.01, 0), now);
        await camera.ReportAtAsync(here, now.AddSeconds(-10));
        using (var again = await camera.ReportAsync((now.AddSeconds(-10), here)))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        // A later marker: once it is on the map, everything before it has been applied.
        await camera.ReportAtAsync(here.Offset(0.02, 0), now.AddSeconds(1));
        var map = await system.MapEventuallyAsync($"bbox={here.Box}",
            f => f.Officer(camera.OfficerId) is { } o && Math.Abs(o.Position().Lat - (here.Lat + 0.02)) < 1e-9, "the marker position");
        Assert.Single(map);

        using var http = await system.ClientForAsync("control1");
        var track = await http.GetFromJsonAsync<JsonElement>(
            $"api/location/officers/{camera.OfficerId}/track?from={Uri.EscapeDataString(now.AddMinutes(-1).ToString("O"))}&to={Uri.EscapeDataString(now.AddMinutes(1).ToString("O"))}");
        var times = track.GetProperty("properties").GetProperty("times").EnumerateArray().Select(t => t.GetDateTimeOffset()).ToList();
        Assert.Equal(3, times.Count);
        Assert.Equal(times.Order(), times);
        Assert.Equal("LineString", track.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal(here.Lat, track.GetProperty("geometry").GetProperty("coordinates")[0][1].GetDouble(), 9);
    }

    [Fact]
    public async Task An_officer_reads_a_colleagues_recent_track_in_their_own_command_only_and_every_read_is_on_the_record()
    {
        var here = Spot.Random();
        var colleague = await system.EnlistAsync(command: "B");
        var elsewhere = await system.EnlistAsync(command: "C");
        await colleague.ReportAtAsync(here);
        await elsewhere.ReportAtAsync(here.Offset(0.001, 0));
        await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 2, "both officers on the map");
        using var officer = await system.ClientForAsync("officer1");
        var now = DateTimeOffset.UtcNow;
        string Window(DateTimeOffset from) => $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(now.AddMinutes(1).ToString("O"))}";

        using var allowed = await officer.GetAsync($"api/location/officers/{colleague.OfficerId}/track?{Window(now.AddMinutes(-30))}");
        using var otherCommand = await officer.GetAsync($"api/location/officers/{elsewhere.OfficerId}/track?{Window(now.AddMinutes(-30))}");
        using var tooOld = await officer.GetAsync($"api/location/officers/{colleague.OfficerId}/track?{Window(now.AddHours(-5))}");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherCommand.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tooOld.StatusCode);
        var mine = (JsonElement)(await Eventually.Async(async () =>
            (await system.AuditEventsAsync("type=PersonalDataRead&limit=1000"))
                .FirstOrDefault(i => i.GetProperty("actorId").GetString() == "officer1" && i.GetProperty("data").GetProperty("subjectId").GetString() == colleague.OfficerId)
                is { ValueKind: JsonValueKind.Object } found ? (object)found : null, what: "officer1's read of the track on the record"))!;
        Assert.Equal("officer-track", mine.GetProperty("data").GetProperty("what").GetString());
        Assert.Equal(1, mine.GetProperty("data").GetProperty("items").GetInt32());
        Assert.Contains("from=", mine.GetProperty("data").GetProperty("filter").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operation_lists_exactly_the_officers_inside_its_area()
    {
        var here = Spot.Random();
        var inside = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => system.EnlistAsync()));
        var outside = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => system.EnlistAsync()));
        await inside[0].ReportAtAsync(here.Offset(0.001, 0.001));
        await inside[1].ReportAtAsync(here.Offset(0.009, 0.009));
        await outside[0].ReportAtAsync(here.Offset(0.011, 0.005));
        await outside[1].ReportAtAsync(here.Offset(-0.001, 0.005));
        await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 4, "four officers on the map");

        using var control = await system.ClientForAsync("control1");
        double[][] ring = [[here.Lon, here.Lat], [here.Lon + 0.01, here.Lat], [here.Lon + 0.01, here.Lat + 0.01], [here.Lon, here.Lat + 0.01], [here.Lon, here.Lat]];
        using var opened = await control.PostAsJsonAsync("api/location/operations", new
        {
            name = "Villa Park, home match",
            kind = "football",
            area = new { type = "Polygon", coordinates = new[] { ring } },
            incidentRef = "INC-2026-0042",
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var operationId = (await opened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operationId").GetString();

        var members = await control.GetFromJsonAsync<JsonElement>($"api/location/operations/{operationId}/officers");
        var filtered = await system.MapAsync($"operationId={operationId}");

        string?[] expected = [.. inside.Select(c => c.OfficerId).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, members.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(expected, filtered.Select(f => f.GetProperty("id").GetString()).Order(StringComparer.Ordinal));

        // Every map answer says which operations hold each officer, as location decided it: the console filters by that.
        var everyone = await system.MapAsync($"bbox={here.Box}");
        string?[] holding = [.. everyone.Where(f => f.GetProperty("properties").GetProperty("operations").EnumerateArray().Any(o => o.GetString() == operationId))
            .Select(f => f.GetProperty("id").GetString()).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, holding);
        await system.AuditEventsEventuallyAsync($"type=OperationOpened&incidentRef=INC-2026-0042");
    }

    [Fact]
    public async Task The_change_feed_delivers_an_officers_move()
    {
        var here = Spot.Random();
        var camera = await system.EnlistAsync();
        using var http = await system.ClientForAsync("control1");
        http.Timeout = TimeSpan.FromSeconds(60);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await http.GetAsync("api/location/stream", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var reported = false;

        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(timeout.Token))
        {
            if (item.EventType == "ready" && !reported)
            {
                // The feed is listening: now the camera reports.
                await camera.ReportAtAsync(here);
                reported = true;
            }

            var change = JsonDocument.Parse(item.Data).RootElement;
            if (item.EventType is "ready" or "heartbeat" || change.GetProperty("officerId").GetString() != camera.OfficerId)
            {
                continue;
            }

            Assert.Equal("updated", item.EventType);
            Assert.Equal(here.Lat, change.GetProperty("feature").Position().Lat, 9);
            return;
        }

        Assert.Fail("The feed ended without the officer's change.");
    }

    [Fact]
    public async Task After_location_restarts_the_map_is_back_from_its_store()
    {
        var here = Spot.Random();
        var fleet = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => system.EnlistAsync()));
        for (var i = 0; i < fleet.Length; i++)
        {
            await fleet[i].ReportAtAsync(here.Offset(0.002 * i, 0));
        }

        await fleet[0].SetRecordingAsync(true);
        var before = await system.MapEventuallyAsync($"bbox={here.Box}",
            f => f.Length == 3 && f.Any(x => x.GetProperty("properties").GetProperty("recording").GetBoolean()), "three officers, one recording");

        await system.Service("location").KillAsync();
        await system.RestartAsync("location");

        var after = await system.MapAsync($"bbox={here.Box}");
        Assert.Equal(Describe(before), Describe(after));
    }

    [Fact]
    public async Task The_control_room_lists_cameras_with_their_assignment_recording_state_and_last_report()
    {
        var camera = await system.EnlistAsync(command: "C");
        var at = DateTimeOffset.UtcNow.AddSeconds(-3);
        await camera.ReportAtAsync(Spot.Random(), at);
        await camera.SetRecordingAsync(true);
        using var control = await system.ClientForAsync("control1");

        var cameras = await control.GetFromJsonAsync<JsonElement[]>("api/ingest/cameras");

        var listed = cameras!.Single(c => c.GetProperty("cameraId").GetString() == camera.CameraId);
        Assert.Equal(camera.OfficerId, listed.GetProperty("assignment").GetProperty("officerId").GetString());
        Assert.Equal("C", listed.GetProperty("assignment").GetProperty("command").GetString());
        Assert.True(listed.GetProperty("recording").GetBoolean());
        Assert.True(listed.GetProperty("lastSeen").GetDateTimeOffset() >= at.AddMilliseconds(-1));
    }

    [Fact]
    public async Task Streaming_facts_show_on_the_map_as_live_and_the_number_watching()
    {
        var here = Spot.Random();
        var camera = await system.EnlistAsync();
        await camera.ReportAtAsync(here);
        await system.MapEventuallyAsync($"bbox={here.Box}", f => f.Length == 1, "the officer on the map");
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(system.RabbitMq));
            cfg.Publish<BodyCam.Contracts.IIntegrationEvent>(p => p.Exclude = true);
        });
        await bus.StartAsync();
        try
        {
            // What streaming publishes when the camera's media arrives and two viewers join.
            var now = DateTimeOffset.UtcNow;
            await bus.Publish(new BodyCam.Contracts.Streaming.StreamWentLive(camera.CameraId, "streaming", now, Guid.NewGuid()));
            await bus.Publish(new BodyCam.Contracts.Streaming.ViewerSessionStarted("s1", camera.CameraId, "control1", "g1", "control1", now, Guid.NewGuid()));
            await bus.Publish(new BodyCam.Contracts.Streaming.ViewerSessionStarted("s2", camera.CameraId, "officer1", "g2", "officer1", now, Guid.NewGuid()));
            var watched = await system.MapEventuallyAsync($"bbox={here.Box}",
                f => f.Length == 1 && f[0].GetProperty("properties").GetProperty("viewers").GetInt32() == 2, "two viewers on the map");
            Assert.True(watched[0].GetProperty("properties").GetProperty("live").GetBoolean());

            await bus.Publish(new BodyCam.Contracts.Streaming.ViewerSessionEnded("s1", camera.CameraId, "control1", "g1", 1000, 2000, "viewer-left", "control1", now, Guid.NewGuid()));
            await bus.Publish(new BodyCam.Contracts.Streaming.StreamEnded(camera.CameraId, "recording-stopped", "streaming", now, Guid.NewGuid()));
            var ended = await system.MapEventuallyAsync($"bbox={here.Box}",
                f => f.Length == 1 && !f[0].GetProperty("properties").GetProperty("live").GetBoolean(), "the stream ended on the map");
            Assert.Equal(0, ended[0].GetProperty("properties").GetProperty("viewers").GetInt32());
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private static List<string> Describe(JsonElement[] features) =>
        [.. features.Select(f => f.GetRawText()).Order(StringComparer.Ordinal)];
}
