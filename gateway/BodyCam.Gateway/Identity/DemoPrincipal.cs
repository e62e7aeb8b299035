using System.Security.Claims;
using BodyCam.ServiceDefaults.Security;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace BodyCam.Gateway.Identity;

/// <summary>
/// The claims a signed-in person's tokens carry, whichever flow signed them in: who they are, their
/// role, and where they serve (command, officer id).
/// </summary>
public static class DemoPrincipal
{
    public static ClaimsIdentity IdentityOf(DemoUser user, string? clientId)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, BodyCamClaims.Subject, BodyCamClaims.Role);
        identity.AddClaim(new Claim(BodyCamClaims.Subject, user.Username));
        identity.AddClaim(new Claim(BodyCamClaims.Name, user.DisplayName));
        identity.AddClaim(new Claim(BodyCamClaims.Role, user.Role));
        if (user.Command is not null)
        {
            identity.AddClaim(new Claim(BodyCamClaims.Command, user.Command));
        }

        if (user.OfficerId is not null)
        {
            identity.AddClaim(new Claim(BodyCamClaims.OfficerId, user.OfficerId));
        }

        identity.AddClaim(new Claim(Claims.ClientId, clientId ?? ""));
        return identity;
    }

    /// <summary>
    /// Every claim goes in the access token; the identity token (code flow with <c>openid</c>) also
    /// carries who, role and command, so the console can show them without decoding the access token.
    /// </summary>
    public static void SetDestinations(ClaimsIdentity identity) =>
        identity.SetDestinations(claim => claim.Type is BodyCamClaims.Subject or BodyCamClaims.Name or BodyCamClaims.Role
                or BodyCamClaims.Command or BodyCamClaims.OfficerId
            ? [Destinations.AccessToken, Destinations.IdentityToken]
            : [Destinations.AccessToken]);
}
