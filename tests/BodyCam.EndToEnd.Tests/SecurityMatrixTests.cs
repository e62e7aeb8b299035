using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// Every route of every service and of the gateway, as their OpenAPI documents list them (generated
/// from the endpoints), is called by every role, a forged token, an expired token and no token, and
/// each answer is checked against the route table in the README ("Who may call what"). A route that
/// is in no row of the table fails the test, and so does a row for a route that no longer exists.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed partial class SecurityMatrixTests(BodyCamSystem system)
{
    private static readonly string[] Documents = ["ingest", "location", "authorisation", "streaming", "audit", "integration", "gateway"];

    private sealed record Rule(string Method, string Route, string Who)
    {
        /// <summary>Roles listed plainly: the role gate lets them through.</summary>
        public IReadOnlyList<string> Allowed => [.. Parts.Where(p => !p.Contains('(', StringComparison.Ordinal)).Select(p => p.Trim())];

        /// <summary>Roles listed with a condition in brackets: past the role gate, the handler decides (it may still refuse).</summary>
        public IReadOnlyList<string> Conditional => [.. Parts.Where(p => p.Contains('(', StringComparison.Ordinal)).Select(p => p[..p.IndexOf('(', StringComparison.Ordinal)].Trim())];

        private string[] Parts => Who.Split(',', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// A generated client learns from the documents what the table says: the bearer scheme and where
    /// tokens come from, and per operation whether it needs a token, which roles it admits, and the
    /// problem answers of a refused caller.
    /// </summary>
    [Fact]
    public async Task Every_operation_in_the_OpenAPI_documents_declares_the_security_the_route_table_says()
    {
        var rules = ReadRouteTable();
        using var admin = await system.ClientForAsync("admin");
        var problems = new List<string>();
        foreach (var document in Documents)
        {
            var json = await admin.GetFromJsonAsyncWithLimits($"openapi/{document}.json");
            var schemes = json.GetProperty("components").GetProperty("securitySchemes");
            Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
            Assert.EndsWith("/.well-known/openid-configuration", schemes.GetProperty("oidc").GetProperty("openIdConnectUrl").GetString(), StringComparison.Ordinal);
            foreach (var path in json.GetProperty("paths").EnumerateObject())
            {
                foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch"))
                {
                    var route = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                    if (!rules.TryGetValue((operation.Name.ToUpperInvariant(), path.Name), out var rule))
                    {
                        continue; // the matrix test names it
                    }

                    var security = operation.Value.GetProperty("security").EnumerateArray().ToList();
                    if (rule.Who is "anyone" or "stream token")
                    {
                        if (security.Count != 0)
                        {
                            problems.Add($"{route}: open at the door, but the document asks for a bearer token");
                        }

                        continue;
                    }

                    var declared = operation.Value.TryGetProperty("x-bodycam-roles", out var roles) ? roles.EnumerateArray().Select(r => r.GetString()!).Order().ToList() : [];
                    var table = rule.Who == "any signed-in caller" ? [] : rule.Allowed.Concat(rule.Conditional).Distinct().Order().ToList();
                    if (security.Count != 1 || !security[0].TryGetProperty("bearer", out _))
                    {
                        problems.Add($"{route}: no bearer security requirement");
                    }

                    if (!declared.SequenceEqual(table))
                    {
                        problems.Add($"{route}: roles [{string.Join(", ", declared)}], the table says [{string.Join(", ", table)}]");
                    }

                    foreach (var status in new[] { "401", "403" })
                    {
                        if (!operation.Value.GetProperty("responses").TryGetProperty(status, out var response) || !response.GetProperty("content").TryGetProperty("application/problem+json", out _))
                        {
                            problems.Add($"{route}: no {status} problem response described");
                        }
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Every_route_answers_every_caller_as_the_route_table_says_and_no_route_is_missing_from_it()
    {
        var rules = ReadRouteTable();
        var routes = await RoutesAsync();
        var problems = new List<string>();
        foreach (var route in routes.Where(r => !rules.ContainsKey(r)))
        {
            problems.Add($"{route.Method} {route.Route}: in the OpenAPI documents but not in the README's route table");
        }

        foreach (var rule in rules.Keys.Where(r => !routes.Contains(r)))
        {
            problems.Add($"{rule.Method} {rule.Route}: in the README's route table but no service has it");
        }

        var callers = await CallersAsync();
        foreach (var ((method, route), rule) in rules.Where(r => routes.Contains(r.Key)))
        {
            foreach (var (name, role, client, _) in callers)
            {
                var status = await CallAsync(client, method, Fill(route, callers.First(c => c.Role == "device").CameraId));
                var expected = Expect(rule, role);
                if (!expected.Accepts(status))
                {
                    problems.Add($"{method} {route} as {name}: {(int)status}, expected {expected.Text}");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} answers differ from the route table:\n{string.Join('\n', problems)}");
    }

    private sealed record Expectation(string Text, Func<HttpStatusCode, bool> Accepts);

    private static Expectation Expect(Rule rule, string? role)
    {
        var status = (HttpStatusCode s) => (int)s;
        switch (rule.Who.Trim())
        {
            case "anyone":
                return new("anything but 401/403", s => s is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden));
            case "stream token":
                // Only a stream token opens these; no sign-in token does, and nothing leaks without one.
                return new("a 4xx refusal (only a stream token opens it)", s => status(s) is >= 400 and < 500);
            case "any signed-in caller":
                return role is null ? new("401", s => s == HttpStatusCode.Unauthorized) : new("anything but 401/403", s => s is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden));
        }

        if (role is null)
        {
            return new("401", s => s == HttpStatusCode.Unauthorized);
        }

        if (rule.Allowed.Contains(role))
        {
            return new("anything but 401/403", s => s is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden));
        }

        if (rule.Conditional.Contains(role))
        {
            return new("anything but 401 (the handler decides)", s => s != HttpStatusCode.Unauthorized);
        }

        return new("403", s => s == HttpStatusCode.Forbidden);
    }

    /// <summary>The table under "Who may call what" in the README: method, route, who.</summary>
    private static Dictionary<(string Method, string Route), Rule> ReadRouteTable()
    {
        var readme = File.ReadAllLines(Path.Combine(ServiceProcess.RepositoryRoot(), "README.md"));
        var start = Array.FindIndex(readme, l => l.StartsWith("### Who may call what", StringComparison.Ordinal));
        Assert.True(start >= 0, "The README has no '### Who may call what' section.");
        var rules = new Dictionary<(string, string), Rule>();
        foreach (var line in readme.Skip(start + 1).TakeWhile(l => !l.StartsWith('#')))
        {
            if (RouteRow().Match(line) is { Success: true } row)
            {
                var rule = new Rule(row.Groups[1].Value, row.Groups[2].Value, row.Groups[3].Value.Trim());
                Assert.True(rules.TryAdd((rule.Method, rule.Route), rule), $"{rule.Method} {rule.Route} is in the table twice");
            }
        }

        return rules;
    }

    private async Task<HashSet<(string Method, string Route)>> RoutesAsync()
    {
        using var admin = await system.ClientForAsync("admin");
        var routes = new HashSet<(string, string)>();
        foreach (var document in Documents)
        {
            var json = await admin.GetFromJsonAsyncWithLimits($"openapi/{document}.json");
            foreach (var path in json.GetProperty("paths").EnumerateObject())
            {
                foreach (var operation in path.Value.EnumerateObject())
                {
                    if (operation.Name is "get" or "post" or "put" or "delete" or "patch")
                    {
                        routes.Add((operation.Name.ToUpperInvariant(), path.Name));
                    }
                }
            }
        }

        return routes;
    }

    private async Task<List<(string Name, string? Role, HttpClient Client, string? CameraId)>> CallersAsync()
    {
        var camera = await system.EnlistAsync();
        using var key = TokenForge.LoadKey(system.SigningKeyFile);
        using var forger = RSA.Create(2048);
        var claims = new Dictionary<string, object> { ["sub"] = "admin", ["role"] = "admin" };
        var issuer = system.GatewayAddress.ToString();
        return
        [
            ("admin", "admin", await system.ClientForAsync("admin"), null),
            ("control1", "control-room", await system.ClientForAsync("control1"), null),
            ("supervisor1", "supervisor", await system.ClientForAsync("supervisor1"), null),
            ("officer1", "officer", await system.ClientForAsync("officer1"), null),
            ("compliance1", "compliance", await system.ClientForAsync("compliance1"), null),
            ("a camera", "device", camera.Device, camera.CameraId),
            ("cad-demo", "cad", system.Client(await system.ClientTokenAsync("cad-demo", "demo")), null),
            ("a forged admin token", null, system.Client(TokenForge.Sign(forger, issuer, "bodycam", DateTime.UtcNow.AddMinutes(10), claims)), null),
            ("an expired admin token", null, system.Client(TokenForge.Sign(key, issuer, "bodycam", DateTime.UtcNow.AddMinutes(-10), claims)), null),
            ("no token", null, system.Client(), null),
        ];
    }

    private static string Fill(string route, string? cameraId) => RouteParameter().Replace(route, m => m.Groups[1].Value switch
    {
        "cameraId" => cameraId ?? "CAM-MATRIX",
        "officerId" => "officer2",
        "sequence" or "part" => "0",
        _ => "matrix-none",
    });

    /// <summary>One call with an empty JSON body where one can be sent; a 429 is waited out as a client should.</summary>
    private static async Task<HttpStatusCode> CallAsync(HttpClient client, string method, string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            // Event feeds never end: the status line is the answer.
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt >= 20)
            {
                return response.StatusCode;
            }

            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
        }
    }

    [GeneratedRegex(@"^\|\s*(GET|POST|PUT|DELETE|PATCH)\s*\|\s*`([^`]+)`\s*\|([^|]+)\|\s*$")]
    private static partial Regex RouteRow();

    [GeneratedRegex(@"\{([A-Za-z]+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();
}

internal static class OpenApiClient
{
    public static async Task<JsonElement> GetFromJsonAsyncWithLimits(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
