using System.Globalization;
using System.Threading.RateLimiting;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore.RateLimiting;

namespace BodyCam.Gateway.Proxy;

/// <summary>
/// How fast anyone may call BodyCam, enforced at the gateway (ASP.NET Core rate limiting, token
/// buckets): per identity for callers who proved who they are (a device has a bucket of its own
/// size), per client address for everyone else, with separate buckets for the token endpoint and for
/// live media, and a cap on open event feeds (SSE) per caller. Every figure is configuration
/// (<c>RateLimits:{Bucket}:PermitsPerSecond</c> and <c>:Burst</c>, <c>RateLimits:FeedsPerCaller</c>);
/// <c>RateLimits:Enabled=false</c> switches it off (the benchmark measures capacity that way). A
/// refused request gets a 429 problem with Retry-After, and the refusals are counted per source.
/// </summary>
public static class RateLimits
{
    private static readonly (string Name, double PerSecond, int Burst)[] Defaults =
    [
        ("Anonymous", 20, 100),
        ("Identity", 100, 300),
        ("Device", 20, 100),
        // Per address, and a force's cameras may share one behind a mobile operator's NAT.
        ("Token", 50, 200),
        ("Live", 200, 400),
    ];

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("RateLimits");
        var buckets = Defaults.ToDictionary(d => d.Name, d => new TokenBucketRateLimiterOptions
        {
            TokenLimit = section.GetValue($"{d.Name}:Burst", d.Burst),
            TokensPerPeriod = Math.Max(1, (int)Math.Round(section.GetValue($"{d.Name}:PermitsPerSecond", d.PerSecond) / 10)),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
        var feeds = section.GetValue("FeedsPerCaller", 8);

        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = OnRejectedAsync;
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                {
                    var (bucket, key) = BucketOf(context);
                    return RateLimitPartition.GetTokenBucketLimiter($"{bucket}:{key}", _ => buckets[bucket]);
                }),
                // Open event feeds hold a connection each: a caller may keep a few, not thousands.
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsFeed(context.Request)
                    ? RateLimitPartition.GetConcurrencyLimiter($"feeds:{CallerOf(context)}", _ => new ConcurrencyLimiterOptions { PermitLimit = feeds, QueueLimit = 0 })
                    : RateLimitPartition.GetNoLimiter("")));
        });
        return builder;
    }

    public static IApplicationBuilder UseRateLimits(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IConfiguration>().GetValue("RateLimits:Enabled", true) ? app.UseRateLimiter() : app;

    /// <summary>Which bucket a request draws from, and whose.</summary>
    internal static (string Bucket, string Key) BucketOf(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/connect"))
        {
            return ("Token", context.ClientAddress() ?? "unknown");
        }

        if (path.StartsWithSegments("/live"))
        {
            return ("Live", context.ClientAddress() ?? "unknown");
        }

        if (context.User.Identity?.IsAuthenticated == true)
        {
            return (context.User.IsInRole(Roles.Device) ? "Device" : "Identity", context.User.ActorId());
        }

        return ("Anonymous", context.ClientAddress() ?? "unknown");
    }

    private static string CallerOf(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true ? context.User.ActorId() : context.ClientAddress() ?? "unknown";

    private static bool IsFeed(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && (request.Path.Value?.EndsWith("/stream", StringComparison.Ordinal) == true || request.Path.Value?.EndsWith("/notifications", StringComparison.Ordinal) == true);

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        context.RequestServices.GetService<UnverifiedRefusals>()?.Count(context, $"Too many requests ({BucketOf(context).Bucket} limit).",
            context.User.Identity?.IsAuthenticated == true ? context.User.ActorId() : null);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Type = ProblemTypes.TooManyRequests,
                Title = "Too many requests",
                Detail = $"Slow down: try again in {context.Response.Headers.RetryAfter} s.",
            },
        });
    }
}
