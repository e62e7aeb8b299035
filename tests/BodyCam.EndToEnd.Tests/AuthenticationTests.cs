using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// Who may call: the gateway and each service behind it validate the token's signature, issuer,
/// audience and lifetime, and each route checks the caller's role. Refusals are problem details,
/// and a refused identified caller is on the audit record.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuthenticationTests(BodyCamSystem system)
{
    public static TheoryData<string> Targets => new() { "gateway", "audit" };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_request_without_a_token_is_refused_as_unauthenticated(string target)
    {
        using var http = system.Client(address: AddressOf(target));
        using var response = await http.GetAsync("api/audit/events");

        await AssertUnauthenticatedAsync(response);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_token_with_a_forged_signature_is_refused(string target)
    {
        using var forger = RSA.Create(2048);
        var forged = TokenForge.Sign(forger, Issuer, "bodycam", DateTime.UtcNow.AddMinutes(30), Claims("admin", "admin"));
        using var http = system.Client(forged, AddressOf(target));

        using var response = await http.GetAsync("api/audit/events");

        await AssertUnauthenticatedAsync(response);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_token_signed_by_the_real_key_but_expired_is_refused(string target)
    {
        using var key = TokenForge.LoadKey(system.SigningKeyFile);
        var expired = TokenForge.Sign(key, Issuer, "bodycam", DateTime.UtcNow.AddMinutes(-10), Claims("compliance1", "compliance"));
        using var http = system.Client(expired, AddressOf(target));

        using var response = await http.GetAsync("api/audit/events");

        await AssertUnauthenticatedAsync(response);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_token_for_another_audience_is_refused(string target)
    {
        using var key = TokenForge.LoadKey(system.SigningKeyFile);
        var elsewhere = TokenForge.Sign(key, Issuer, "another-system", DateTime.UtcNow.AddMinutes(30), Claims("compliance1", "compliance"));
        using var http = system.Client(elsewhere, AddressOf(target));

        using var response = await http.GetAsync("api/audit/events");

        await AssertUnauthenticatedAsync(response);
    }

    [Fact]
    public async Task A_token_signed_by_the_real_key_and_valid_is_accepted_which_shows_the_refusals_above_are_for_their_flaw()
    {
        using var key = TokenForge.LoadKey(system.SigningKeyFile);
        var valid = TokenForge.Sign(key, Issuer, "bodycam", DateTime.UtcNow.AddMinutes(30), Claims("compliance1", "compliance"));
        using var http = system.Client(valid);

        using var response = await http.GetAsync("api/audit/events?limit=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Forged_and_expired_tokens_are_counted_on_the_record_naming_the_subject_they_claimed()
    {
        using var key = TokenForge.LoadKey(system.SigningKeyFile);
        using var forger = RSA.Create(2048);
        var subject = $"claimed-{Guid.NewGuid():N}"[..16];
        var forged = TokenForge.Sign(forger, Issuer, "bodycam", DateTime.UtcNow.AddMinutes(30), Claims(subject, "supervisor"));
        var expired = TokenForge.Sign(key, Issuer, "bodycam", DateTime.UtcNow.AddMinutes(-10), Claims(subject, "supervisor"));

        foreach (var token in new[] { forged, expired })
        {
            using var http = system.Client(token);
            using var response = await http.PostAsJsonAsync("api/authorisation/view-requests", new { cameraId = "CAM-X", purpose = "officer-safety", reason = "Colleague alone at a disturbance" });
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var counted = await Eventually.Async(async () =>
        {
            var items = await system.AuditEventsAsync("type=UnverifiedAccessRefused&limit=1000");
            var mine = items.Where(e => e.GetProperty("data").GetProperty("claimedSubjects").EnumerateArray().Any(c => c.GetString() == subject)).ToArray();
            return mine.Select(r => r.GetProperty("data").GetProperty("reason").GetString()).Distinct().Count() >= 2 ? mine : null;
        }, what: "both kinds of token refusal counted on the record");
        var reasons = counted.Select(r => r.GetProperty("data").GetProperty("reason").GetString()).ToList();
        Assert.Contains(reasons, r => r!.Contains("signature", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r!.Contains("expired", StringComparison.Ordinal));
        Assert.All(counted, r => Assert.Equal("gateway", r.GetProperty("data").GetProperty("service").GetString()));
        Assert.All(counted, r => Assert.Equal("anonymous", r.GetProperty("actorId").GetString()));
    }

    [Fact]
    public async Task A_thousand_forged_token_requests_are_throttled_and_add_only_a_handful_of_audit_entries()
    {
        using var forger = RSA.Create(2048);
        var subject = $"flood-{Guid.NewGuid():N}"[..16];
        var forged = TokenForge.Sign(forger, Issuer, "bodycam", DateTime.UtcNow.AddMinutes(30), Claims(subject, "compliance"));
        using var http = system.Client(forged);
        var before = await AuditHeadAsync();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var response = await http.GetAsync("api/audit/events?limit=1");
            return response.StatusCode;
        }));

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, s.ToString()));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        await Eventually.Async(async () =>
        {
            var items = await system.AuditEventsAsync("type=UnverifiedAccessRefused&limit=1000");
            var mine = items.Where(e => e.GetProperty("data").GetProperty("claimedSubjects").EnumerateArray().Any(c => c.GetString() == subject)).ToArray();
            var sum = mine.Sum(e => e.GetProperty("data").GetProperty("count").GetInt64());
            return sum >= statuses.Count(s => s == HttpStatusCode.Unauthorized) ? (object)mine.Length : null;
        }, what: "the flood counted on the record");
        // Every refused request is counted by now: a handful of facts, and not one entry per request.
        var facts = (await system.AuditEventsAsync("type=UnverifiedAccessRefused&limit=1000"))
            .Count(e => e.GetProperty("data").GetProperty("claimedSubjects").EnumerateArray().Any(c => c.GetString() == subject));
        Assert.True(facts <= 10, $"{facts} count facts for one flood");
        var perRequest = (await system.AuditEventsAsync("type=AccessRefused&limit=1000"))
            .Count(e => e.GetProperty("actorId").GetString() == $"unverified:{subject}");
        Assert.Equal(0, perRequest);
        Assert.True(await AuditHeadAsync() > before);
    }

    private async Task<long> AuditHeadAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(system.Database);
        await connection.OpenAsync();
        await using var head = new Npgsql.NpgsqlCommand("SELECT coalesce(max(id), 0) FROM audit.mt_doc_auditentry", connection);
        return (long)(await head.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_caller_without_the_role_is_forbidden_and_the_refusal_is_audited()
    {
        using var officer = await system.ClientForAsync("officer1");
        var cameraId = Api.NewCameraId();

        using var response = await officer.PostAsJsonAsync("api/ingest/cameras", new { cameraId, serial = "S", model = "M" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:forbidden", problem.GetProperty("type").GetString());
        Assert.Contains("admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var refusals = await Eventually.Async(async () =>
        {
            var items = await system.AuditEventsAsync("type=AccessRefused&limit=1000");
            var mine = items.Where(e => e.GetProperty("actorId").GetString() == "officer1"
                && e.GetProperty("data").GetProperty("path").GetString() == "/api/ingest/cameras"
                && e.GetProperty("data").GetProperty("method").GetString() == "POST").ToArray();
            return mine.Length > 0 ? mine : null;
        }, what: "officer1's refusal in the audit record");
        var data = refusals[^1].GetProperty("data");
        Assert.Equal("ingest", data.GetProperty("service").GetString());
        Assert.Equal("POST", data.GetProperty("method").GetString());
        Assert.Equal("officer", Assert.Single(data.GetProperty("roles").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Compliance_reads_the_audit_record_and_an_officer_may_not()
    {
        using var compliance = await system.ClientForAsync("compliance1");
        using var officer = await system.ClientForAsync("officer2");

        using var allowed = await compliance.GetAsync("api/audit/events?limit=1");
        using var refused = await officer.GetAsync("api/audit/events?limit=1");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_gets_no_token()
    {
        using var response = await system.PostTokenRequestAsync(new()
        {
            ["grant_type"] = "password", ["client_id"] = "bodycam-console", ["username"] = "admin", ["password"] = "not-the-password",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_grant", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_client_secret_gets_no_token()
    {
        using var response = await system.PostTokenRequestAsync(new()
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "cad-demo", ["client_secret"] = "not-the-secret",
        });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_client", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_CAD_client_gets_a_token_with_the_cad_role()
    {
        var token = await system.ClientTokenAsync("cad-demo", "demo");

        var claims = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token);

        Assert.Equal("cad", claims.GetClaim("role").Value);
        Assert.Equal("cad-demo", claims.Subject);
    }

    private string Issuer => system.GatewayAddress.ToString();

    private Uri AddressOf(string target) => target == "gateway" ? system.GatewayAddress : system.Service(target).Address;

    private static Dictionary<string, object> Claims(string subject, string role) => new() { ["sub"] = subject, ["role"] = role };

    private static async Task AssertUnauthenticatedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:unauthenticated", problem.GetProperty("type").GetString());
    }
}
