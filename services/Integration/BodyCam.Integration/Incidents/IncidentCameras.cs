using BodyCam.Integration.Facts;
using BodyCam.Integration.Webhooks.Subscribing;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Integration.Incidents;

public sealed record IncidentCamera(
    string CameraId, string? OfficerId, string? Callsign, string? Command, double DistanceM, bool Recording, bool Live,
    DateTimeOffset? PositionAt, string WatchUrl);

/// <summary>
/// <c>GET /api/integrations/incidents/{incidentRef}/cameras?lat=&amp;lon=&amp;count=</c>: the recording
/// officers nearest an incident, nearest first, each with a deep link that opens the console's watch
/// dialog for that camera with the incident filled in. The link grants nothing: the operator still
/// signs in and gives a purpose and a reason, and authorisation decides. Without lat and lon, the
/// centre of the operation opened for that incident is used. Who is nearest is location's answer
/// (its live map, asked through the gateway as the caller, so location too records the read):
/// integration does not work it out a second way.
/// </summary>
public static class IncidentCameras
{
    public const string LocationClient = "location";

    public const int DefaultCount = 5;
    public const int MaxCount = 50;

    public static RouteHandlerBuilder MapIncidentCameras(this RouteGroupBuilder incidents) =>
        incidents.MapGet("/{incidentRef}/cameras", HandleAsync)
            .RequireRoles(Roles.Cad, Roles.ControlRoom, Roles.Supervisor, Roles.Admin)
            .WithName("IncidentCameras")
            .WithSummary("The recording officers nearest an incident, with deep links into the console's watch dialog.");

    private static async Task<Results<Ok<List<IncidentCamera>>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string incidentRef, HttpContext http, IDocumentSession session, IConfiguration configuration, IHttpClientFactory clients, TimeProvider time,
        CancellationToken cancellationToken,
        double? lat = null, double? lon = null, int? count = null, string? reason = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (!SubscribeWebhook.Token().IsMatch(incidentRef))
        {
            errors["incidentRef"] = ["An incident reference is 1 to 64 letters, digits, '/', '-' or '_'."];
        }

        if (lat is not null && lat is < -90 or > 90 || lat is { } la && !double.IsFinite(la))
        {
            errors["lat"] = ["lat is from -90 to 90."];
        }

        if (lon is not null && lon is < -180 or > 180 || lon is { } lo && !double.IsFinite(lo))
        {
            errors["lon"] = ["lon is from -180 to 180."];
        }

        if ((lat is null) != (lon is null))
        {
            errors["lat"] = ["Give both lat and lon, or neither (then the incident's operation area is used)."];
        }

        if (count is < 1 or > MaxCount)
        {
            errors["count"] = [$"count is from 1 to {MaxCount}."];
        }

        if (errors.Count > 0)
        {
            return Problem.Invalid(errors);
        }

        if (lat is null)
        {
            var operation = await session.Query<OperationArea>().Where(o => o.IncidentRef == incidentRef).FirstOrDefaultAsync(cancellationToken);
            if (operation is null)
            {
                return Problem.Invalid("lat", $"No operation is open for {incidentRef}: give the incident's lat and lon.");
            }

            (lat, lon) = operation.Centre();
        }

        var near = await NearestRecordingAsync(clients, http, lat!.Value, lon!.Value, count ?? DefaultCount, reason, cancellationToken);
        if (near is null)
        {
            return Problem.Unavailable("The live map (location) did not answer; try again shortly.");
        }

        var console = ConsoleUrl(configuration);
        var nearest = near.Select(n => new IncidentCamera(
                n.CameraId, n.OfficerId, n.Callsign, n.Command, n.DistanceM, n.Recording, n.Live, n.At,
                $"{console}#watch={Uri.EscapeDataString(n.CameraId)}&incident={Uri.EscapeDataString(incidentRef)}"))
            .ToList();
        // Which officers are where is personal data: on the record once per reader and query each quarter hour (CAD may poll).
        await PersonalDataReads.RecordPolledAsync(session, http, "integration", "incident-cameras", incidentRef, nearest.Count, reason, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(nearest);
    }

    /// <summary>The recording officers nearest the point as location's map has them, asked with the caller's own token; null when location does not answer.</summary>
    private static async Task<List<NearOfficer>?> NearestRecordingAsync(
        IHttpClientFactory clients, HttpContext http, double lat, double lon, int count, string? reason, CancellationToken cancellationToken)
    {
        var query = FormattableString.Invariant($"api/location/officers/nearest?lat={lat}&lon={lon}&count={count}&recording=true")
            + (reason is null ? "" : $"&reason={Uri.EscapeDataString(reason)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, query);
        request.Headers.TryAddWithoutValidation("Authorization", http.Request.Headers.Authorization.ToString());
        request.Headers.Add("X-Correlation-Id", http.CorrelationId().ToString());
        try
        {
            using var response = await clients.CreateClient(LocationClient).SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<List<NearOfficer>>(cancellationToken) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Where location answers: <c>Integration:LocationUrl</c>, else the gateway (the OIDC issuer).</summary>
    public static Uri LocationUrl(IConfiguration configuration) =>
        new(configuration["Integration:LocationUrl"] is { Length: > 0 } url ? url
            : configuration["Identity:Issuer"] ?? configuration["Identity:Authority"] ?? "http://127.0.0.1:8080/");

    /// <summary>One of location's nearest officers, as its API answers.</summary>
    private sealed record NearOfficer(
        string OfficerId, string CameraId, string? Callsign, string? Command, bool Recording, bool Live, DateTimeOffset? At, double DistanceM);

    /// <summary>Where people open the console: <c>Integration:ConsoleUrl</c>, else the gateway's <c>/console/</c>.</summary>
    private static string ConsoleUrl(IConfiguration configuration) =>
        configuration["Integration:ConsoleUrl"] is { Length: > 0 } url
            ? url
            : new Uri(new Uri(configuration["Identity:Issuer"] ?? configuration["Identity:Authority"] ?? "http://127.0.0.1:8080/"), "console/").ToString();
}
