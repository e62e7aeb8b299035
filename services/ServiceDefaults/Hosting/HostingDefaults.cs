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

        // Request lines carry stream tokens in their query strings: never log them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing.EndpointMiddleware", LogLevel.Warning);

        AddProblemDetails(services);
        AddTelemetry(builder, serviceName);
        AddAuthentication(builder);

        services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        // Each service publishes its document as /openapi/{service}.json; the gateway serves them all.
        services.AddOpenApi(serviceName, o => o.AddDocumentTransformer((document, _, _) =>
        {
            // Callers reach every service through the gateway, never at its internal address.
            document.Servers = [];
            return Task.CompletedTask;
        }));
        services.Configure<ForwardedHeadersOptions>(o =>
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        return builder;
    }

    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
            ResponseWriter = WriteHealthAsync,
        }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready") || check.Tags.Contains("live"),
            ResponseWriter = WriteHealthAsync,
        }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        return app;
    }

    /// <summary>Requires one of the given roles; a refusal is recorded for audit.</summary>
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
                .AddMeter("MassTransit", "Marten", serviceName)
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
                o.Events = new JwtBearerEvents { OnChallenge = RecordRefusedTokenAsync };
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
    /// A bearer token that was presented but failed validation (forged, expired, for another
    /// audience) is a refused access: where the process has an event store it is recorded, naming
    /// the subject the token claimed, marked unverified. A request with no token names nobody and is
    /// only answered.
    /// </summary>
    private static async Task RecordRefusedTokenAsync(JwtBearerChallengeContext context)
    {
        if (context.AuthenticateFailure is null || context.HttpContext.RequestServices.GetService<AccessRefusals>() is not { } refusals)
        {
            return;
        }

        var raw = context.Request.Headers.Authorization.ToString();
        var claimed = raw.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? RequestActor.ClaimedSubject(raw["Bearer ".Length..].Trim()) : "unknown";

        var reason = context.AuthenticateFailure switch
        {
            SecurityTokenExpiredException => "The token has expired.",
            SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature is not valid.",
            SecurityTokenInvalidAudienceException => "The token is for another audience.",
            SecurityTokenInvalidIssuerException => "The token is from another issuer.",
            var other => $"The token was refused ({other.GetType().Name}).",
        };
        await refusals.RecordAsync(context.HttpContext, reason, $"unverified:{claimed}", context.HttpContext.RequestAborted);
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
