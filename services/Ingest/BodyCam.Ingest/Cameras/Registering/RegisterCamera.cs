using BodyCam.Contracts.Cameras;
using BodyCam.Ingest.Cameras.Credentials;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Ingest.Cameras.Registering;

public sealed record RegisterCameraRequest(string CameraId, string Serial, string Model);

/// <summary>
/// <c>POST /api/ingest/cameras</c>: an admin adds a camera to the registry. The registration is
/// stored first; then the camera's client credentials are issued and returned this once.
/// </summary>
public static class RegisterCamera
{
    private const int MaxTextLength = 128;

    public static RouteHandlerBuilder MapRegisterCamera(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/", HandleAsync)
            .RequireRoles(Roles.Admin)
            .WithName("RegisterCamera")
            .WithSummary("Register a camera and issue its client credentials.");

    private static async Task<Results<Created<RegisteredCameraCredentials>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        RegisterCameraRequest request, HttpContext http, IDocumentSession session, DeviceCredentials credentials,
        TimeProvider time, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            return Problem.Invalid(errors);
        }

        var key = CameraStream.Key(request.CameraId);
        if (await session.Events.FetchStreamStateAsync(key, cancellationToken) is not null)
        {
            return Problem.Conflict($"Camera '{request.CameraId}' is already registered.");
        }

        var clientId = DeviceCredentials.ClientIdFor(request.CameraId);
        session.Events.StartStream(key, new CameraRegistered(
            request.CameraId, request.Serial.Trim(), request.Model.Trim(), clientId,
            http.User.ActorId(), time.GetUtcNow(), http.CorrelationId()));
        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (ExistingStreamIdCollisionException)
        {
            return Problem.Conflict($"Camera '{request.CameraId}' is already registered.");
        }

        var location = $"/api/ingest/cameras/{request.CameraId}";
        try
        {
            var issued = await credentials.IssueAsync(request.CameraId, http, session, cancellationToken);
            return TypedResults.Created(location, new RegisteredCameraCredentials(request.CameraId, issued.ClientId, issued.ClientSecret));
        }
        catch (HttpRequestException e)
        {
            // The camera is registered; only its secret is missing, and the credentials route issues it.
            logs.CreateLogger(nameof(RegisterCamera)).LogError(e, "Camera {CameraId} registered, but its credentials could not be issued", request.CameraId);
            return Problem.Unavailable(
                $"Camera '{request.CameraId}' is registered, but its credentials could not be issued now. " +
                $"POST {location}/credentials to issue them.");
        }
    }

    private static Dictionary<string, string[]> Validate(RegisterCameraRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!CameraStream.IsValidId(request.CameraId))
        {
            errors["cameraId"] = ["Use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit."];
        }

        if (string.IsNullOrWhiteSpace(request.Serial) || request.Serial.Length > MaxTextLength)
        {
            errors["serial"] = [$"Give the camera's serial number, at most {MaxTextLength} characters."];
        }

        if (string.IsNullOrWhiteSpace(request.Model) || request.Model.Length > MaxTextLength)
        {
            errors["model"] = [$"Give the camera's model, at most {MaxTextLength} characters."];
        }

        return errors;
    }
}
