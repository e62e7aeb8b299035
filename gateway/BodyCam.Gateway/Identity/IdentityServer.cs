using BodyCam.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace BodyCam.Gateway.Identity;

/// <summary>
/// The embedded default's OIDC provider (OpenIddict): a token endpoint for cameras and CAD clients
/// (client credentials), the console's sign-in (authorization code with PKCE) and the seeded demo
/// users (password), issuing signed JWT access tokens
/// for the <c>bodycam</c> audience that the gateway and every service validate.
/// </summary>
public static class IdentityServer
{
    public static WebApplicationBuilder AddIdentityServer(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var connectionString = configuration.GetConnectionString("postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:postgres is not set. './bodycam up' sets it; see README.md.");
        var issuer = configuration["Identity:Issuer"] ?? configuration["Identity:Authority"]
            ?? throw new InvalidOperationException("Identity:Issuer is not set: the public URL of this gateway.");
        using var startupLog = LoggerFactory.Create(l => l.AddConsole());
        var signingKey = SigningKey.Load(configuration["Identity:SigningKeyFile"], startupLog.CreateLogger("Identity"));

        builder.Services.AddDbContext<IdentityStore>(o =>
        {
            // A transient failure (a pooled connection to a primary that has since failed over) is tried
            // again on another connection, not answered with a 503; OpenIddict runs without its own
            // transactions under a retrying strategy.
            o.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__migrations", IdentityStore.Schema)
                .EnableRetryOnFailure(maxRetryCount: 3, maxRetryDelay: TimeSpan.FromSeconds(2), errorCodesToAdd: null));
            o.UseOpenIddict();
        });
        builder.Services.AddSingleton<DemoUsers>();
        builder.Services.AddHostedService<IdentitySeeder>();

        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<IdentityStore>())
            .AddServer(o =>
            {
                o.SetIssuer(new Uri(issuer));
                o.SetTokenEndpointUris("connect/token");
                o.SetAuthorizationEndpointUris("connect/authorize");
                o.AllowClientCredentialsFlow();
                // The console signs people in with the code flow; a public client must prove it with PKCE.
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                o.AllowPasswordFlow();
                o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Roles);
                o.SetAccessTokenLifetime(configuration.GetValue("Identity:AccessTokenLifetime", TimeSpan.FromHours(1)));
                o.AddSigningKey(signingKey);
                o.AddEphemeralEncryptionKey();
                // Resource servers validate plain signed JWTs against the published keys.
                o.DisableAccessTokenEncryption();
                o.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    .EnableAuthorizationEndpointPassthrough()
                    // TLS ends in front of the gateway in a real deployment; the embedded default is loopback HTTP.
                    .DisableTransportSecurityRequirement();
            });
        return builder;
    }

    public static WebApplication MapIdentityEndpoints(this WebApplication app)
    {
        var connect = app.MapGroup("/connect").WithTags("Identity");
        connect.MapTokenEndpoint();
        connect.MapAuthorizeEndpoint();
        connect.MapDeviceClients();
        return app;
    }
}
