using System.Security.Claims;
using System.Text.Json;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace BodyCam.Gateway.Identity;

/// <summary>
/// <c>POST /connect/token</c>. OpenIddict has already checked the client and the grant; this decides
/// who the token speaks for and which roles it carries.
/// </summary>
public static class TokenEndpoint
{
    public static RouteHandlerBuilder MapTokenEndpoint(this RouteGroupBuilder connect) =>
        connect.MapPost("/token", HandleAsync).AllowAnonymous().ExcludeFromDescription();

    private static async Task<IResult> HandleAsync(
        HttpContext http, IOpenIddictApplicationManager applications, DemoUsers demo, ILoggerFactory logs)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict request is missing.");
        var log = logs.CreateLogger(nameof(TokenEndpoint));

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, BodyCamClaims.Subject, BodyCamClaims.Role);
        var scopes = request.GetScopes();
        if (request.IsClientCredentialsGrantType())
        {
            var application = await applications.FindByClientIdAsync(request.ClientId!, http.RequestAborted);
            var properties = application is null ? null : await applications.GetPropertiesAsync(application, http.RequestAborted);
            if (properties is null || !properties.TryGetValue(ClientProperties.Role, out var role) || role.ValueKind != JsonValueKind.String)
            {
                return Refuse(Errors.UnauthorizedClient, "This client may not ask for tokens on its own behalf.");
            }

            identity.AddClaim(new Claim(BodyCamClaims.Subject, request.ClientId!));
            identity.AddClaim(new Claim(BodyCamClaims.Role, role.GetString()!));
            if (properties.TryGetValue(ClientProperties.CameraId, out var camera) && camera.ValueKind == JsonValueKind.String)
            {
                identity.AddClaim(new Claim(BodyCamClaims.CameraId, camera.GetString()!));
            }
        }
        else if (request.IsPasswordGrantType())
        {
            var user = demo.SignIn(request.Username, request.Password);
            if (user is null)
            {
                log.LogWarning("Password sign-in refused for {Username} from {Address}", request.Username, http.Connection.RemoteIpAddress);
                return Refuse(Errors.InvalidGrant, "The username or password is not right.");
            }

            identity = DemoPrincipal.IdentityOf(user, request.ClientId);
        }
        else if (request.IsAuthorizationCodeGrantType())
        {
            // OpenIddict has checked the code, its client, redirect URI and PKCE verifier; the person
            // it was issued to must still be someone we sign in.
            var code = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var user = demo.Find(code.Principal?.GetClaim(BodyCamClaims.Subject));
            if (user is null)
            {
                return Refuse(Errors.InvalidGrant, "The person this code was issued to can no longer sign in.");
            }

            identity = DemoPrincipal.IdentityOf(user, request.ClientId);
            scopes = code.Principal!.GetScopes();
        }
        else
        {
            return Refuse(Errors.UnsupportedGrantType, "This grant type is not supported.");
        }

        if (identity.FindFirst(Claims.ClientId) is null)
        {
            identity.AddClaim(new Claim(Claims.ClientId, request.ClientId ?? ""));
        }

        DemoPrincipal.SetDestinations(identity);
        var principal = new ClaimsPrincipal(identity);
        principal.SetResources(BodyCamClaims.Audience);
        principal.SetScopes(scopes);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Refuse(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
