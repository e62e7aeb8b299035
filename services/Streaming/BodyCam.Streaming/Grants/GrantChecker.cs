using System.Net;
using System.Net.Http.Headers;

namespace BodyCam.Streaming.Grants;

/// <summary>What authorisation says of a grant now.</summary>
public sealed record CheckedGrant(string GrantId, string CameraId, string ViewerId, string State, DateTimeOffset? ExpiresAt, bool CameraRecording)
{
    public bool Live => State == "active";
}

/// <summary>
/// Asks authorisation about a grant streaming has not heard of yet (its facts may still be on their
/// way), presenting the viewer's stream token as the credential. Fails closed: no answer within a
/// short timeout is no admission.
/// </summary>
public sealed class GrantChecker(IHttpClientFactory http, IConfiguration configuration, ILogger<GrantChecker> log)
{
    private Uri Base => new(configuration["Streaming:AuthorisationUrl"]
        ?? new Uri(new Uri(configuration["Identity:Authority"] ?? throw new InvalidOperationException("Identity:Authority is not set.")), "api/authorisation/").ToString());

    /// <summary>The grant as authorisation knows it; null when it does not exist or the token is not its own.</summary>
    /// <exception cref="GrantUncheckableException">Authorisation did not answer in time.</exception>
    public async Task<CheckedGrant?> CheckAsync(string grantId, string streamToken, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(configuration.GetValue("Streaming:GrantCheckTimeout", TimeSpan.FromSeconds(3)));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Base, $"grants/{Uri.EscapeDataString(grantId)}/status"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", streamToken);
            using var response = await http.CreateClient(nameof(GrantChecker)).SendAsync(request, timeout.Token);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized)
            {
                return null;
            }

            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<CheckedGrant>(timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            log.LogWarning(e, "Authorisation did not confirm grant {GrantId}; the viewer is refused for now", grantId);
            throw new GrantUncheckableException(e);
        }
    }
}

public sealed class GrantUncheckableException(Exception inner) : Exception("Authorisation could not be asked about the grant.", inner);
