using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BodyCam.Gateway.Proxy;

/// <summary>
/// The gateway is ready only when every service behind it is: one check per YARP cluster, named
/// for the service, asking each of its destinations' <c>/health/ready</c>. A service with several
/// instances (a cluster's nodes) is ready while one of them is: the gateway routes around the others,
/// and a gateway that called itself not ready for one lost node would take every gateway out of the
/// load balancer with it.
/// </summary>
public static class ServiceHealth
{
    // A plain client: a health probe must answer quickly, not retry.
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(3) };

    public static IHealthChecksBuilder AddServiceHealthChecks(this IHealthChecksBuilder checks, IConfiguration configuration)
    {
        foreach (var cluster in configuration.GetSection("ReverseProxy:Clusters").GetChildren())
        {
            var readies = cluster.GetSection("Destinations").GetChildren().Select(d => d["Address"]).OfType<string>()
                .Select(address => new Uri(new Uri(address), "health/ready")).ToArray();
            if (readies.Length == 0)
            {
                // The launcher gives every cluster its destinations (infra/launcher); a gateway started without them fronts nothing.
                checks.AddCheck(cluster.Key, () => HealthCheckResult.Unhealthy($"no destination is configured for {cluster.Key}"), ["ready"]);
                continue;
            }

            checks.AddAsyncCheck(cluster.Key, async cancellationToken =>
            {
                var answers = await Task.WhenAll(readies.Select(ready => AskAsync(ready, cancellationToken)));
                var notReady = answers.Where(a => a is not null).ToArray();
                return notReady.Length < readies.Length
                    ? HealthCheckResult.Healthy(notReady.Length == 0 ? string.Join(", ", readies.Select(r => r.ToString())) : $"ready on {readies.Length - notReady.Length} of {readies.Length}; {string.Join("; ", notReady)}")
                    : HealthCheckResult.Unhealthy(string.Join("; ", notReady));
            }, ["ready"]);
        }

        return checks;
    }

    /// <summary>Null when the instance is ready; otherwise why not.</summary>
    private static async Task<string?> AskAsync(Uri ready, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Probe.GetAsync(ready, cancellationToken);
            return response.IsSuccessStatusCode ? null : $"{ready} answered {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"{ready} does not answer";
        }
    }
}
