using System.Net.Http.Headers;
using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Ingest.Cameras.Credentials;

/// <summary>
/// Asks the identity service for a camera's client secret, on behalf of the admin who registered
/// the camera (their token is passed on, so identity checks the admin role itself), and records
/// that credentials were issued. The secret goes back to the admin once and is stored nowhere here.
/// </summary>
public sealed class DeviceCredentials(HttpClient http, TimeProvider time)
{
    public static string ClientIdFor(string cameraId) => $"camera-{cameraId}";

    public async Task<IssuedCredentials> IssueAsync(string cameraId, HttpContext caller, IDocumentSession session, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/devices")
        {
            Content = JsonContent.Create(new { cameraId }),
        };
        if (AuthenticationHeaderValue.TryParse(caller.Request.Headers.Authorization, out var bearer))
        {
            request.Headers.Authorization = bearer;
        }

        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var issued = await response.Content.ReadFromJsonAsync<IssuedCredentials>(cancellationToken)
            ?? throw new HttpRequestException("The identity service answered without credentials.");

        session.Events.Append(CameraStream.Key(cameraId), new CameraCredentialsIssued(
            cameraId, issued.ClientId, caller.User.ActorId(), time.GetUtcNow(), caller.CorrelationId()));
        await session.SaveChangesAsync(cancellationToken);
        return issued;
    }
}

public sealed record IssuedCredentials(string ClientId, string ClientSecret);
