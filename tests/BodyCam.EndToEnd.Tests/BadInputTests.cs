using System.Net;
using System.Net.Http.Json;
using System.Text;
using BodyCam.Testing;
using Npgsql;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>Bad input gets a clear problem with a stable type, and nothing is stored.</summary>
[Collection(SystemCollection.Name)]
public sealed class BadInputTests(BodyCamSystem system)
{
    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "truncated JSON", """{"cameraId":"CAM-BAD-1","serial":""" },
        { "not JSON at all", "cameraId=CAM-BAD-2" },
        { "a JSON array", """["CAM-BAD-3"]""" },
        { "a missing field", """{"cameraId":"CAM-BAD-4","serial":"S"}""" },
        { "a null field", """{"cameraId":"CAM-BAD-5","serial":null,"model":"M"}""" },
        { "a number for a string", """{"cameraId":6,"serial":"S","model":"M"}""" },
    };

    public static TheoryData<string, string, string> InvalidValues => new()
    {
        { "an id with spaces", """{"cameraId":"CAM BAD 7","serial":"S","model":"M"}""", "cameraId" },
        { "an empty id", """{"cameraId":"","serial":"S","model":"M"}""", "cameraId" },
        { "an over-long id", $$"""{"cameraId":"{{new string('A', 65)}}","serial":"S","model":"M"}""", "cameraId" },
        { "a blank serial", """{"cameraId":"CAM-BAD-8","serial":"  ","model":"M"}""", "serial" },
        { "an over-long model", $$"""{"cameraId":"CAM-BAD-9","serial":"S","model":"{{new string('m', 129)}}"}""", "model" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task A_registration_that_cannot_be_read_is_a_400_problem_and_stores_nothing(string why, string body)
    {
        using var admin = await system.ClientForAsync("admin");

        using var response = await admin.PostAsync("api/ingest/cameras", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:invalid-request", problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Empty(await CameraStreamsLikeAsync("camera/CAM-BAD-%"));
    }

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public async Task A_registration_with_invalid_values_names_each_field_and_stores_nothing(string why, string body, string field)
    {
        using var admin = await system.ClientForAsync("admin");

        using var response = await admin.PostAsync("api/ingest/cameras", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:invalid-request", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: the problem should name '{field}'");
        Assert.Empty(await CameraStreamsLikeAsync("camera/CAM-BAD-%"));
        Assert.Empty(await CameraStreamsLikeAsync("camera/CAM BAD%"));
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_refused_as_unsupported()
    {
        using var admin = await system.ClientForAsync("admin");

        using var response = await admin.PostAsync("api/ingest/cameras", new StringContent("cameraId=X", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:unsupported-media-type", (await response.ProblemAsync()).GetProperty("type").GetString());
    }

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

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=5000", "limit")]
    [InlineData("after=-1", "after")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("colour=red", "query")]
    public async Task An_audit_query_out_of_range_or_with_unknown_filters_is_a_400_problem(string query, string field)
    {
        using var compliance = await system.ClientForAsync("compliance1");

        using var response = await compliance.GetAsync($"api/audit/events?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"'{query}' should be refused for '{field}'");
    }

    [Fact]
    public async Task An_audit_query_with_a_value_of_the_wrong_type_is_a_400_problem()
    {
        using var compliance = await system.ClientForAsync("compliance1");

        using var response = await compliance.GetAsync("api/audit/events?from=yesterday");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:invalid-request", (await response.ProblemAsync()).GetProperty("type").GetString());
    }

    private async Task<List<string>> CameraStreamsLikeAsync(string pattern)
    {
        await using var connection = new NpgsqlConnection(system.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM ingest.mt_streams WHERE id LIKE @pattern", connection);
        command.Parameters.AddWithValue("pattern", pattern);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
