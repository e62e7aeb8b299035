using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace BodyCam.Gateway.Identity;

/// <summary>
/// <c>GET/POST /connect/authorize</c>: the authorization code flow (PKCE required) for the console.
/// OpenIddict has already checked the client, its redirect URI and the code challenge. Without
/// credentials this shows the sign-in page; the page posts the same request back with them, and a
/// person who signs in is sent to the console with a code.
/// </summary>
public static class AuthorizeEndpoint
{
    public const string UsernameField = "username";
    public const string PasswordField = "password";

    public static RouteHandlerBuilder MapAuthorizeEndpoint(this RouteGroupBuilder connect) =>
        connect.MapMethods("/authorize", [HttpMethods.Get, HttpMethods.Post], HandleAsync)
            .AllowAnonymous()
            .DisableAntiforgery()
            .ExcludeFromDescription();

    private static async Task<IResult> HandleAsync(HttpContext http, DemoUsers demo, ILoggerFactory logs)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict request is missing.");

        var username = (string?)request[UsernameField];
        var password = (string?)request[PasswordField];
        if (username is null && password is null)
        {
            return SignInPage(request, error: null);
        }

        var user = demo.SignIn(username, password);
        if (user is null)
        {
            logs.CreateLogger(nameof(AuthorizeEndpoint)).LogWarning(
                "Console sign-in refused for {Username} from {Address}", username, http.Connection.RemoteIpAddress);
            return SignInPage(request, error: "The username or password is not right.");
        }

        var identity = DemoPrincipal.IdentityOf(user, request.ClientId);
        DemoPrincipal.SetDestinations(identity);
        var principal = new ClaimsPrincipal(identity);
        principal.SetResources(BodyCamClaims.Audience);
        principal.SetScopes(request.GetScopes());
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>A plain, accessible form that posts the authorization request back with the credentials.</summary>
    private static IResult SignInPage(OpenIddictRequest request, string? error)
    {
        var html = HtmlEncoder.Default;
        var hidden = new StringBuilder();
        foreach (var (name, value) in request.GetParameters())
        {
            if (name is UsernameField or PasswordField || (string?)value is null)
            {
                continue;
            }

            hidden.Append($"<input type=\"hidden\" name=\"{html.Encode(name)}\" value=\"{html.Encode((string?)value ?? "")}\">");
        }

        var alert = error is null ? "" : $"<p role=\"alert\" class=\"error\">{html.Encode(error)}</p>";
        var page = $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign in · BodyCam</title>
            <link rel="icon" href="data:,">
            <style>
              body { font: 16px/1.5 system-ui, sans-serif; background: #0f1b2d; color: #102035; margin: 0; display: grid; place-items: center; min-height: 100vh; }
              main { background: #fff; padding: 2rem; border-radius: 8px; width: min(22rem, 90vw); }
              h1 { margin-top: 0; font-size: 1.4rem; }
              label { display: block; margin-top: 1rem; font-weight: 600; }
              input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; border: 1px solid #6b7a90; border-radius: 4px; }
              button { margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; background: #1d4ed8; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
              button:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
              .error { color: #b91c1c; font-weight: 600; }
            </style>
            </head>
            <body>
            <main>
              <h1>Sign in to BodyCam</h1>
              {{alert}}
              <form method="post" action="/connect/authorize">
                {{hidden}}
                <label for="username">Username</label>
                <input id="username" name="username" type="text" autocomplete="username" required autofocus>
                <label for="password">Password</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required>
                <button type="submit">Sign in</button>
              </form>
            </main>
            </body>
            </html>
            """;
        return Results.Content(page, "text/html; charset=utf-8", Encoding.UTF8, error is null ? 200 : 401);
    }
}
