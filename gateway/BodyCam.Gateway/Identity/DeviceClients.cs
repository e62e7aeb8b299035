using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace BodyCam.Gateway.Identity;

public sealed record DeviceClientRequest(string CameraId);

public sealed record DeviceClientCredentials(string ClientId, string ClientSecret);

/// <summary>
/// <c>POST /connect/devices</c> (admin): creates a camera's OAuth client, or gives an existing one a
/// new secret. Ingest calls it on behalf of the admin registering the camera. The secret is returned
/// here once; OpenIddict keeps only its hash.
/// </summary>
public static partial class DeviceClients
{
    public static RouteHandlerBuilder MapDeviceClients(this RouteGroupBuilder connect) =>
        connect.MapPost("/devices", HandleAsync)
            .RequireRoles(Roles.Admin)
            .WithSummary("Create a camera's client credentials, or replace its secret.");

    private static async Task<Results<Ok<DeviceClientCredentials>, ValidationProblem>> HandleAsync(
        DeviceClientRequest request, IOpenIddictApplicationManager applications, CancellationToken cancellationToken)
    {
        if (!CameraIdPattern().IsMatch(request.CameraId))
        {
            return Problem.Invalid("cameraId", "Use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit.");
        }

        var clientId = $"camera-{request.CameraId}";
        var secret = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var existing = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (existing is null)
        {
            await applications.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = clientId,
                ClientSecret = secret,
                ClientType = ClientTypes.Confidential,
                DisplayName = $"Camera {request.CameraId}",
                Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
                Properties =
                {
                    [ClientProperties.Role] = JsonSerializer.SerializeToElement(Roles.Device),
                    [ClientProperties.CameraId] = JsonSerializer.SerializeToElement(request.CameraId),
                },
            }, cancellationToken);
        }
        else
        {
            await applications.UpdateAsync(existing, secret, cancellationToken);
        }

        return TypedResults.Ok(new DeviceClientCredentials(clientId, secret));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex CameraIdPattern();
}
