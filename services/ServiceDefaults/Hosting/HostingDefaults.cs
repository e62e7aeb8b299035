using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace BodyCam.ServiceDefaults;

/// <summary>
/// What every BodyCam process shares: telemetry, health, problem details, token validation and
/// resilient outgoing HTTP. A service adds its event store and bus with the extensions beside this.
/// </summary>
public static class HostingDefaults
{
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        var services = builder.Services;
        services.AddSingleton(new ServiceIdentity(serviceName));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Elections>();

        // Request lines carry stream tokens in their query strings: never log them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing.EndpointMiddleware", LogLevel.Warning);

        AddProblemDetails(services);
        AddTelemetry(builder, serviceName);
        AddAuthentication(builder);

        services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        services.AddOutputCache();
        services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        // Each service publishes its document as /openapi/{service}.json; the gateway serves them all.
        services.AddOpenApi(serviceName, o => o
            .AddDocumentTransformer((document, _, _) =>
            {
                // Callers reach every service through the gateway, never at its internal address.
                document.Servers = [];
                return Task.CompletedTask;
            })
            .AddBodyCamSecurity(builder.Configuration["Identity:Issuer"] ?? builder.Configuration["Identity:Authority"]));
        services.Configure<ForwardedHeadersOptions>(o => TrustForwardedHeaders(o, builder.Configuration));
        // A JSON body is small: one megabyte unless the deployment says otherwise, and an endpoint may
        // ask for less (RequestSizeLimit metadata). A camera's live push lifts the limit for itself.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = builder.Configuration.GetValue("Limits:MaxRequestBodyBytes", 1024L * 1024);
            // Open connections are bounded too: WebSockets and event feeds each hold one for as long as they last.
            k.Limits.MaxConcurrentConnections = builder.Configuration.GetValue("Limits:MaxConnections", 20_000L);
            k.Limits.MaxConcurrentUpgradedConnections = builder.Configuration.GetValue("Limits:MaxUpgradedConnections", 10_000L);
        });
        return builder;
    }

    /// <summary>
    /// The shared pipeline. <paramref name="beforeAuthentication"/> and <paramref name="afterAuthentication"/>
    /// let the gateway put its rate limits where they belong: before anything validates a token, and
    /// once the caller is known but before a refusal is decided.
    /// </summary>
    public static WebApplication UseServiceDefaults(
        this WebApplication app, Action<WebApplication>? beforeAuthentication = null, Action<WebApplication>? afterAuthentication = null)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(ApplyEndpointBodyLimit);
        beforeAuthentication?.Invoke(app);
        app.UseAuthentication();
        afterAuthentication?.Invoke(app);
        app.UseAuthorization();
        app.UseOutputCache();

        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
            ResponseWriter = WriteHealthAsync,
        }).AllowAnonymous();
        // Anyone may ask whether a service is ready, so the answer is kept for a second: a flood of
        // probes costs one database round trip (or one round of service probes at the gateway) a second.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready") || check.Tags.Contains("live"),
            ResponseWriter = WriteHealthAsync,
        }).AllowAnonymous().CacheOutput(p => p.Expire(TimeSpan.FromSeconds(1)));
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        return app;
    }

    /// <summary>
    /// <c>X-Forwarded-For</c> names the client only when the proxy that sent it is trusted:
    /// <c>Security:TrustedProxies</c> lists their addresses or networks (the gateway's, in the embedded
    /// default loopback); <c>none</c> trusts nobody, as the gateway itself does unless it sits behind a
    /// load balancer the deployment names. Anyone else's header is ignored, so nobody can choose the
    /// address the record and the rate limits see.
    /// </summary>
    private static void TrustForwardedHeaders(ForwardedHeadersOptions options, IConfiguration configuration)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        var trusted = configuration["Security:TrustedProxies"];
        if (trusted is null)
        {
            return; // the framework's default: loopback only
        }

        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var entry in trusted.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (entry.Contains('/', StringComparison.Ordinal))
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
            }
            else
            {
                options.KnownProxies.Add(System.Net.IPAddress.Parse(entry));
            }
        }
    }

    /// <summary>An endpoint's own body limit (<c>RequestSizeLimit</c> metadata), applied before its body is read.</summary>
    private static Task ApplyEndpointBodyLimit(HttpContext context, Func<Task> next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>() is { } limit
            && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit.MaxRequestBodySize;
        }

        return next();
    }

    /// <summary>Requires one of the given roles (refusals are on the record where the service adds <see cref="RefusalAudit.AddRefusalAudit"/>).</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params string[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.RequireAuthenticatedUser().RequireRole(roles));

    private static void AddProblemDetails(IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            // The framework's default types point at RFC sections; ours are stable and BodyCam's own.
            if (context.ProblemDetails.Type is null || context.ProblemDetails.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
            {
                context.ProblemDetails.Type = ProblemTypes.ForStatus(status);
            }

            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<DependencyUnavailableExceptionHandler>();
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            // A missing required member or a null where none is allowed is a 400, not a half-filled record.
            o.SerializerOptions.RespectNullableAnnotations = true;
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
        });
    }

    private static void AddTelemetry(WebApplicationBuilder builder, string serviceName)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("MassTransit", "Marten", "BodyCam.Messaging", serviceName)
                .AddPrometheusExporter());

        // Traces are recorded only where they go somewhere: building spans nobody exports costs
        // every request CPU (measured: the gateway is the busiest process under telemetry load).
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry
                .WithTracing(t => t
                    .AddAspNetCoreInstrumentation(o => o.Filter = c =>
                        !c.Request.Path.StartsWithSegments("/health") && !c.Request.Path.StartsWithSegments("/metrics"))
                    .AddHttpClientInstrumentation()
                    .AddSource("MassTransit")
                    .AddNpgsql())
                .UseOtlpExporter();
        }
    }

    private static void AddAuthentication(WebApplicationBuilder builder)
    {
        var identity = builder.Configuration.GetSection("Identity");
        var authority = identity["Authority"]
            ?? throw new InvalidOperationException("Identity:Authority is not set: the URL of the OIDC issuer (the gateway in the embedded default).");

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(o =>
            {
                o.Authority = authority;
                o.RequireHttpsMetadata = identity.GetValue("RequireHttpsMetadata", true);
                o.MapInboundClaims = false;
                o.Events = new JwtBearerEvents { OnChallenge = CountRefusedTokenAsync };
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = identity["Issuer"] ?? authority,
                    ValidAudience = BodyCamClaims.Audience,
                    NameClaimType = BodyCamClaims.Subject,
                    RoleClaimType = BodyCamClaims.Role,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });

        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
    }

    /// <summary>
    /// A request refused for want of a valid token (none, forged, expired, for another audience) proves
    /// no identity: where the process audits refusals (<see cref="RefusalAudit.AddRefusalAudit"/>) it is
    /// counted per source and reason and recorded once a window, naming the subjects tokens claimed as
    /// examples, never one fact per request.
    /// </summary>
    private static Task CountRefusedTokenAsync(JwtBearerChallengeContext context)
    {
        if (context.HttpContext.RequestServices.GetService<UnverifiedRefusals>() is not { } refusals)
        {
            return Task.CompletedTask;
        }

        var raw = context.Request.Headers.Authorization.ToString();
        var claimed = raw.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? RequestActor.ClaimedSubject(raw["Bearer ".Length..].Trim()) : null;
        var reason = context.AuthenticateFailure switch
        {
            null => "No token was presented.",
            SecurityTokenExpiredException => "The token has expired.",
            SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature is not valid.",
            SecurityTokenInvalidAudienceException => "The token is for another audience.",
            SecurityTokenInvalidIssuerException => "The token is from another issuer.",
            var other => $"The token was refused ({other.GetType().Name}).",
        };
        refusals.Count(context.HttpContext, reason, claimed);
        return Task.CompletedTask;
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description ?? e.Value.Exception?.Message }),
        });
    }
}
