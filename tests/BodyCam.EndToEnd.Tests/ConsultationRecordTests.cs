using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// Data Protection Act 2018 s.62: every consultation of personal data is logged, with who, when and
/// what. Each route that says where officers are, or who watches whom, leaves a record with the
/// reader, the query, the count and the reason given; a feed leaves one when it opens and one when it
/// closes; the rules and keys the system runs by are facts too.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ConsultationRecordTests(BodyCamSystem system)
{
    [Fact]
    public async Task Every_read_of_where_officers_are_or_of_who_watches_whom_is_on_the_record_with_its_reader_and_reason()
    {
        var reason = $"Serious collision on the A38, log {Guid.NewGuid():N}"[..48];
        var r = Uri.EscapeDataString(reason);
        using var supervisor = await system.ClientForAsync("supervisor1");
        using var control = await system.ClientForAsync("control1");
        foreach (var (client, path) in new[]
        {
            (supervisor, $"api/location/officers?reason={r}"),
            (supervisor, $"api/location/officers/nearest?lat=52.48&lon=-1.89&reason={r}"),
            (supervisor, $"api/authorisation/grants?reason={r}"),
            (supervisor, $"api/authorisation/view-requests?reason={r}"),
            (control, $"api/integrations/incidents/INC-2026-s62/cameras?lat=52.48&lon=-1.89&reason={r}"),
        })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // A live map feed: opened, then the console goes away.
        using (var feed = new CancellationTokenSource())
        {
            using var response = await control.GetAsync($"api/location/stream?reason={r}", HttpCompletionOption.ResponseHeadersRead, feed.Token);
            Assert.True(response.IsSuccessStatusCode);
            await feed.CancelAsync();
        }

        var expected = new[] { "live-map", "nearest-officers", "grants", "view-requests", "incident-cameras", "live-map-feed opened", "live-map-feed closed" };
        var found = await Eventually.Async(async () =>
        {
            var reads = (await system.AuditEventsAsync("type=PersonalDataRead&limit=1000"))
                .Select(e => e.GetProperty("data"))
                .Where(d => d.TryGetProperty("reason", out var given) && given.GetString() == reason)
                .ToList();
            var named = reads.Select(Named).ToList();
            return expected.All(named.Contains) ? reads : null;
        }, TimeSpan.FromSeconds(30), "a record of each read with its reason");

        Assert.All(found, d => Assert.Contains(d.GetProperty("actorId").GetString(), new[] { "supervisor1", "control1" }));
        Assert.Contains(found, d => d.GetProperty("what").GetString() == "live-map" && d.GetProperty("filter").GetString()!.Contains("reason=", StringComparison.Ordinal));

        // Polling the same query again within the quarter hour adds nothing: the session is on the record already.
        var before = found.Count(d => d.GetProperty("what").GetString() == "live-map");
        using (var again = await supervisor.GetAsync($"api/location/officers?reason={r}"))
        {
            Assert.True(again.IsSuccessStatusCode);
        }

        await system.RegisterCameraAsync(Api.NewCameraId());   // something later to wait for
        await system.AuditEventsEventuallyAsync("type=CameraRegistered");
        var after = (await system.AuditEventsAsync("type=PersonalDataRead&limit=1000"))
            .Select(e => e.GetProperty("data"))
            .Count(d => d.TryGetProperty("reason", out var given) && given.GetString() == reason && d.GetProperty("what").GetString() == "live-map");
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task The_policy_version_and_the_signing_keys_in_use_are_on_the_record()
    {
        using var anyone = await system.ClientForAsync("officer1");
        var current = JsonDocument.Parse(await anyone.GetStringAsync("api/authorisation/policy")).RootElement.GetProperty("version").GetString();
        var policy = await Eventually.Async(async () =>
            (await system.AuditEventsAsync("type=PolicyVersionLoaded")).Select(e => e.GetProperty("data"))
                .FirstOrDefault(d => d.GetProperty("version").GetString() == current) is { ValueKind: JsonValueKind.Object } found ? (object)found : null,
            TimeSpan.FromSeconds(30), $"policy version {current} on the record");
        Assert.Contains("use-of-force-review", ((JsonElement)policy).GetProperty("excludedPurposes").GetRawText(), StringComparison.Ordinal);

        var keys = await Eventually.Async(async () =>
        {
            var found = (await system.AuditEventsAsync("type=SigningKeyInUse")).Select(e => e.GetProperty("data").GetProperty("purpose").GetString()).ToHashSet();
            return found.IsSupersetOf(["stream-tokens", "tree-checkpoints", "chain-checkpoints"]) ? found : null;
        }, TimeSpan.FromSeconds(30), "each signing key on the record");
        Assert.NotEmpty(keys);
    }

    private static string Named(JsonElement read)
    {
        var what = read.GetProperty("what").GetString()!;
        var filter = read.GetProperty("filter").GetString() ?? "";
        return what == "live-map-feed" ? $"{what} {(filter.StartsWith("closed", StringComparison.Ordinal) ? "closed" : "opened")}" : what;
    }
}
