using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BodyCam.Testing;
using Npgsql;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Integration;

/// <summary>
/// A CAD client cannot turn webhooks into a way into the force's network: every address inside is
/// refused when subscribing (literal or by a name that resolves there), and a secret is never kept in
/// the clear where a database reader would find it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class WebhookTargetTests(BodyCamSystem system)
{
    private static readonly string[] Types = ["uk.police.bodycam.recording.started"];

    [Theory]
    [InlineData("http://127.0.0.1:5105/api/audit/events")]
    [InlineData("http://169.254.169.254/latest/meta-data/iam/security-credentials/")]
    [InlineData("http://localhost:5432/")]
    [InlineData("http://[::1]:15672/api/users")]
    [InlineData("https://[::ffff:127.0.0.1]/")]
    [InlineData("https://10.1.2.3/cad")]
    [InlineData("https://192.168.0.1/")]
    [InlineData("https://[fd00:ec2::254]/")]
    [InlineData("http://0.0.0.0:5101/")]
    public async Task A_webhook_to_an_address_inside_is_refused(string url)
    {
        using var cad = await system.CadAsync();

        using var response = await cad.PostAsJsonAsync("api/integrations/webhooks", new { url, types = Types });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal("urn:bodycam:problem:invalid-request", problem.GetProperty("type").GetString());
        var why = problem.GetProperty("errors").GetProperty("url")[0].GetString();
        Assert.Contains("inside", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_like_the_address()
    {
        using var cad = await system.CadAsync();

        using var response = await cad.PostAsJsonAsync("api/integrations/webhooks", new { url = "https://localhost/cad", types = Types });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var why = (await response.ProblemAsync()).GetProperty("errors").GetProperty("url")[0].GetString()!;
        Assert.True(why.Contains("127.0.0.1", StringComparison.Ordinal) || why.Contains("::1", StringComparison.Ordinal), why);
    }

    [Fact]
    public async Task A_subscriptions_secret_is_stored_encrypted_not_in_the_clear()
    {
        using var cad = await system.CadAsync();
        await using var receiver = await WebhookReceiver.StartAsync();

        var subscription = await cad.SubscribeAsync(receiver, Types);

        var secret = subscription.GetProperty("secret").GetString()!;
        await using var connection = new NpgsqlConnection(system.Database);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT data::text FROM integration.mt_doc_webhooksubscription WHERE id = @id", connection);
        query.Parameters.AddWithValue("id", subscription.GetProperty("id").GetString()!);
        var stored = (string)(await query.ExecuteScalarAsync())!;
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret["whsec_".Length..], stored, StringComparison.Ordinal);
        Assert.Contains("dp1:", stored, StringComparison.Ordinal);
    }
}
