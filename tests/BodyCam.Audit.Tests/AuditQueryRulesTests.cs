using System.Net;
using BodyCam.Testing;
using Microsoft.AspNetCore.Hosting;
using Xunit;

namespace BodyCam.Audit.Tests;

/// <summary>The audit service in this process (<see cref="InProcessService{TProgram}"/>), with keys of its own and no witness.</summary>
public sealed class AuditHost() : InProcessService<Program>("audit")
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Audit:SigningKeyFile", Path.Combine(Directory, "audit-checkpoint-signing.pem"));
        builder.UseSetting("Audit:LogKeyFile", Path.Combine(Directory, "audit-log.key"));
        builder.UseSetting("Audit:Origin", "bodycam.test/in-process");
    }
}

/// <summary>
/// Bad queries and exports of the audit record, through audit's own HTTP API in this process: each a
/// clear 400 naming what is wrong; an officer may not export. (Were end-to-end tests.)
/// </summary>
public sealed class AuditQueryRulesTests(AuditHost host) : IClassFixture<AuditHost>
{
    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=5000", "limit")]
    [InlineData("after=-1", "after")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("colour=red", "query")]
    public async Task An_audit_query_out_of_range_or_with_unknown_filters_is_a_400_naming_it(string query, string field)
    {
        using var compliance = host.ClientFor("compliance1", "compliance");

        using var response = await compliance.GetAsync($"api/audit/events?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ProblemAsync()).GetProperty("errors").TryGetProperty(field, out _), $"'{query}' should be refused for '{field}'");
    }

    [Theory]
    [InlineData("api/audit/events?from=yesterday")]
    [InlineData("api/audit/export?format=xml")]
    [InlineData("api/audit/export?from=yesterday")]
    [InlineData("api/audit/export?from=0")]
    [InlineData("api/audit/export?from=9&to=3")]
    public async Task A_bad_query_or_export_is_a_400_invalid_request(string path)
    {
        using var compliance = host.ClientFor("compliance1", "compliance");

        using var response = await compliance.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("urn:bodycam:problem:invalid-request", (await response.ProblemAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_officer_may_not_export_the_audit_and_the_refusal_is_on_the_record()
    {
        using var officer = host.ClientFor("officer1", "officer", "B", "officer1");

        using var response = await officer.GetAsync("api/audit/export");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(await host.RefusalsAsync(), r => r.ActorId == "officer1" && r.Path.EndsWith("/export", StringComparison.Ordinal));
    }
}
