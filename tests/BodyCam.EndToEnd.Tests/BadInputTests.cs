using System.Net;
using System.Net.Http.Json;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// Bad input across the gateway and the services that need it: a clear problem with a stable type.
/// (Each service's own bad input is tested in-process, in its test project.)
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BadInputTests(BodyCamSystem system)
{
    [Fact]
    public async Task Registering_a_camera_id_twice_is_a_409_and_the_first_registration_stands()
    {
        var cameraId = Api.NewCameraId();
        var first = await system.RegisterCameraAsync(cameraId);
        using var admin = await system.ClientForAsync("admin");

        using var again = await admin.PostAsJsonAsync("api/ingest/cameras", new { cameraId, serial = "OTHER", model = "OTHER" });

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("urn:bodycam:problem:conflict", (await again.ProblemAsync()).GetProperty("type").GetString());
        // The first camera's secret still works: the duplicate did not touch its credentials.
        Assert.NotEmpty(await system.ClientTokenAsync(first.GetProperty("clientId").GetString()!, first.GetProperty("clientSecret").GetString()!));
        var registrations = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}&type=CameraRegistered");
        Assert.Equal("SN-" + cameraId, Assert.Single(registrations).GetProperty("data").GetProperty("serial").GetString());
    }

    [Theory]
    [InlineData("api/ingest/no-such-route")]
    [InlineData("api/audit/no-such-route")]
    [InlineData("no-such-top-level-route")]
    public async Task An_unknown_route_is_a_404_problem(string path)
    {
        using var admin = await system.ClientForAsync("admin");

        using var response = await admin.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:not-found", (await response.ProblemAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Credentials_for_an_unknown_camera_are_a_404_problem()
    {
        using var admin = await system.ClientForAsync("admin");

        using var response = await admin.PostAsync($"api/ingest/cameras/{Api.NewCameraId()}/credentials", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
