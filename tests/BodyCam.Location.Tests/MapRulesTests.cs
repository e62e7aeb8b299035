using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.Location.Tests;

/// <summary>The live map's service in this process (<see cref="InProcessService{TProgram}"/>).</summary>
public sealed class LocationHost() : InProcessService<Program>("location");

/// <summary>
/// The live map's query rules and bad input, through location's own HTTP API in this process: a
/// clear 400 naming the parameter, 403 for a role that may not read, 404 for what is not there, and
/// nothing opened by a bad operation. (Were end-to-end tests.)
/// </summary>
public sealed class MapRulesTests(LocationHost host) : IClassFixture<LocationHost>
{
    [Theory]
    [InlineData("api/location/officers?bbox=1,2,3", "bbox")]
    [InlineData("api/location/officers?bbox=10,10,5,5", "bbox")]
    [InlineData("api/location/officers?bbox=-200,0,0,10", "bbox")]
    [InlineData("api/location/officers/nearest?lon=1", "lat")]
    [InlineData("api/location/officers/nearest?lat=95&lon=1", "lat")]
    [InlineData("api/location/officers/nearest?lat=1&lon=1&count=0", "count")]
    [InlineData("api/location/officers/nearest?lat=1&lon=1&count=1000", "count")]
    [InlineData("api/location/officers/o1/track?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("api/location/officers/o1/track?from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z", "to")]
    public async Task A_map_query_out_of_range_is_a_400_naming_the_parameter(string path, string parameter)
    {
        using var control = host.ClientFor("control1", "control-room");

        using var response = await control.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ProblemAsync()).GetProperty("errors").TryGetProperty(parameter, out _), $"{path} should name {parameter}");
    }

    [Fact]
    public async Task Compliance_may_not_read_the_live_map_and_an_unknown_operation_is_a_404()
    {
        using var compliance = host.ClientFor("compliance1", "compliance");
        using var control = host.ClientFor("control1", "control-room");

        using var refused = await compliance.GetAsync("api/location/officers");
        using var unknown = await control.GetAsync("api/location/officers?operationId=op-missing");
        using var unknownMembers = await control.GetAsync("api/location/operations/op-missing/officers");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownMembers.StatusCode);
    }

    public static TheoryData<string, string> BadOperations => new()
    {
        { "an unknown kind", """{"name":"X","kind":"picnic","area":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}""" },
        { "an open ring", """{"name":"X","kind":"event","area":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}""" },
        { "a crossing ring", """{"name":"X","kind":"event","area":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}""" },
        { "a point, not a polygon", """{"name":"X","kind":"event","area":{"type":"Point","coordinates":[[[0,0]]]}}""" },
        { "latitude out of range", """{"name":"X","kind":"event","area":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,95],[0,0]]]}}""" },
        { "a hole", """{"name":"X","kind":"event","area":{"type":"Polygon","coordinates":[[[0,0],[3,0],[3,3],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}}""" },
        { "no name", """{"name":" ","kind":"event","area":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}""" },
    };

    [Theory]
    [MemberData(nameof(BadOperations))]
    public async Task A_bad_operation_is_a_400_and_is_not_opened(string why, string body)
    {
        using var control = host.ClientFor("control1", "control-room");
        var before = (await control.GetFromJsonAsync<JsonElement[]>("api/location/operations"))!.Length;

        using var response = await control.PostAsync("api/location/operations", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        Assert.Equal(before, (await control.GetFromJsonAsync<JsonElement[]>("api/location/operations"))!.Length);
    }

    [Fact]
    public async Task An_officer_may_not_open_an_operation()
    {
        using var officer = host.ClientFor("officer1", "officer", "B", "officer1");

        using var response = await officer.PostAsJsonAsync("api/location/operations", new
        {
            name = "X", kind = "event", area = new { type = "Polygon", coordinates = new[] { new[] { new[] { 0.0, 0.0 }, [1.0, 0.0], [1.0, 1.0], [0.0, 0.0] } } },
        });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Refusing_compliance_the_live_map_is_on_the_record()
    {
        using var compliance = host.ClientFor("compliance9", "compliance");
        using var refused = await compliance.GetAsync("api/location/officers/nearest?lat=1&lon=1");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains(await host.RefusalsAsync(), r => r.ActorId == "compliance9" && r.Path.Contains("nearest", StringComparison.Ordinal));
    }
}
