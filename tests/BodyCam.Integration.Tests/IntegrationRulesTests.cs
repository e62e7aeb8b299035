using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BodyCam.Testing;
using Microsoft.AspNetCore.Hosting;
using Xunit;

namespace BodyCam.Integration.Tests;

/// <summary>The integration service in this process (<see cref="InProcessService{TProgram}"/>).</summary>
public sealed class IntegrationHost() : InProcessService<Program>("integration")
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("DataProtection:KeyRingPath", Path.Combine(Directory, "data-protection"));
        builder.UseSetting("Integration:LocationUrl", "http://127.0.0.1:9/");
    }
}

/// <summary>
/// CAD's bad subscriptions, feeds and incident queries, through integration's own HTTP API in this
/// process: each a clear 400 naming the field; an officer may not subscribe; a client sees only its
/// own subscriptions. (Were end-to-end tests; deliveries to real receivers stay there.)
/// </summary>
public sealed class IntegrationRulesTests(IntegrationHost host) : IClassFixture<IntegrationHost>
{
    private const string Started = "uk.police.bodycam.recording.started";

    public static TheoryData<string, string, string> BadSubscriptions => new()
    {
        { "an ftp url", $$"""{"url":"ftp://cad.example/hook","types":["{{Started}}"]}""", "url" },
        { "not a url", $$"""{"url":"not a url","types":["{{Started}}"]}""", "url" },
        { "credentials in the url", $$"""{"url":"https://user:pw@cad.example/hook","types":["{{Started}}"]}""", "url" },
        { "a type that is no event", """{"url":"https://cad.example/hook","types":["uk.police.bodycam.stream.token"]}""", "types" },
        { "no types", """{"url":"https://cad.example/hook","types":[]}""", "types" },
        { "a weak secret", $$"""{"url":"https://cad.example/hook","types":["{{Started}}"],"secret":"hunter2"}""", "secret" },
        { "a malformed incident filter", """{"url":"https://cad.example/hook","types":["uk.police.bodycam.recording.started"],"filters":{"incidentRef":"INC 1; drop"}}""", "filters.incidentRef" },
    };

    [Theory]
    [MemberData(nameof(BadSubscriptions))]
    public async Task A_bad_subscription_is_a_400_naming_the_field(string why, string body, string field)
    {
        using var cad = host.ClientFor("cad-demo", "cad");
        await AssertInvalidAsync(await cad.PostAsync("api/integrations/webhooks", new StringContent(body, Encoding.UTF8, "application/json")), field, why);
    }

    [Fact]
    public async Task A_subscription_that_is_not_JSON_is_a_400_problem()
    {
        using var cad = host.ClientFor("cad-demo", "cad");
        using var malformed = await cad.PostAsync("api/integrations/webhooks", new StringContent("{\"url\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("urn:bodycam:problem:invalid-request", (await malformed.ProblemAsync()).GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("api/integrations/events/stream?types=nonsense", "types")]
    [InlineData("api/integrations/events/stream?after=-1", "after")]
    [InlineData("api/integrations/events/stream?command=B%20B", "command")]
    [InlineData("api/integrations/incidents/INC-NOWHERE-1/cameras", "lat")]
    [InlineData("api/integrations/incidents/INC-1/cameras?lat=91&lon=0", "lat")]
    [InlineData("api/integrations/incidents/INC-1/cameras?lat=52&lon=-1&count=0", "count")]
    [InlineData("api/integrations/incidents/INC-1/cameras?lat=52", "lat")]
    public async Task A_bad_feed_or_incident_query_is_a_400_naming_the_parameter(string path, string field)
    {
        using var cad = host.ClientFor("cad-demo", "cad");
        await AssertInvalidAsync(await cad.GetAsync(path), field, path);
    }

    [Fact]
    public async Task A_last_event_id_that_is_no_number_is_a_400()
    {
        using var cad = host.ClientFor("cad-demo", "cad");
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/integrations/events/stream");
        request.Headers.Add("Last-Event-ID", "yesterday");
        await AssertInvalidAsync(await cad.SendAsync(request), "Last-Event-ID", "Last-Event-ID: yesterday");
    }

    [Fact]
    public async Task An_officer_may_not_subscribe_and_a_client_sees_only_its_own_subscriptions()
    {
        using var officer = host.ClientFor("officer1", "officer", "B", "officer1");
        using var cad = host.ClientFor("cad-demo", "cad");
        using var admin = host.ClientFor("admin", "admin");

        using var refused = await officer.PostAsJsonAsync("api/integrations/webhooks", new { url = "https://cad.example/hook", types = new[] { Started } });
        using var created = await admin.PostAsJsonAsync("api/integrations/webhooks", new { url = "https://cad.example/hook", types = new[] { Started } });
        var adminSubscription = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var notYours = await cad.GetAsync($"api/integrations/webhooks/{adminSubscription}");
        using var notYoursToRemove = await cad.DeleteAsync($"api/integrations/webhooks/{adminSubscription}");
        using var removed = await admin.DeleteAsync($"api/integrations/webhooks/{adminSubscription}");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains(await host.RefusalsAsync(), r => r.ActorId == "officer1");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notYours.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notYoursToRemove.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
    }

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string field, string why)
    {
        using (response)
        {
            var body = await response.ProblemAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode} {body}");
            Assert.Equal("urn:bodycam:problem:invalid-request", body.GetProperty("type").GetString());
            Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), $"{why}: {body}");
        }
    }
}
