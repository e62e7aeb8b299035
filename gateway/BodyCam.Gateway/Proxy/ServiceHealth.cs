using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BodyCam.Gateway.Proxy;

/// <summary>
/// The gateway is ready only when every service behind it is: one check per YARP cluster, named
/// for the service, asking the service's own <c>/health/ready</c>.
/// </summary>
public static class ServiceHealth
{
    // A plain client: a health probe must answer quickly, not retry.
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(3) };

    public static IHealthChecksBuilder AddServiceHealthChecks(this IHealthChecksBuilder checks, IConfiguration configuration)
    {
        foreach (var cluster in configuration.GetSection("ReverseProxy:Clusters").GetChildren())
        {
            var address = cluster.GetSection("Destinations").GetChildren().Select(d => d["Address"]).FirstOrDefault(a => a is not null);
            if (address is null)
            {
                // The launcher gives every cluster its destinations (infra/launcher); a gateway started without them fronts nothing.
                checks.AddCheck(cluster.Key, () => HealthCheckResult.Unhealthy($"no destination is configured for {cluster.Key}"), ["ready"]);
                continue;
            }

            var ready = new Uri(new Uri(address), "health/ready");
            checks.AddAsyncCheck(cluster.Key, async cancellationToken =>
            {
                try
                {
                    using var response = await Probe.GetAsync(ready, cancellationToken);
                    return response.IsSuccessStatusCode
                        ? HealthCheckResult.Healthy(ready.ToString())
                        : HealthCheckResult.Unhealthy($"{ready} answered {(int)response.StatusCode}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return HealthCheckResult.Unhealthy($"{ready} does not answer", e);
                }
            }, ["ready"]);
        }

        return checks;
    }
}
