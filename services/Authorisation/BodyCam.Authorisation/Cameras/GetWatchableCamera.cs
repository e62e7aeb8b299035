using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Authorisation.Cameras;

/// <summary>
/// <c>GET /api/authorisation/cameras/{cameraId}</c>: what authorisation knows of a camera (its wearer,
/// command and whether it records), so a console can say before asking whether a request can succeed.
/// </summary>
public static class GetWatchableCamera
{
    public static RouteHandlerBuilder MapGetWatchableCamera(this RouteGroupBuilder authorisation) =>
        authorisation.MapGet("/cameras/{cameraId}", async Task<Results<Ok<WatchableCamera>, ProblemHttpResult>> (string cameraId, IQuerySession session, CancellationToken cancellationToken) =>
                await session.LoadAsync<WatchableCamera>(cameraId, cancellationToken) is { } camera
                    ? TypedResults.Ok(camera)
                    : Problem.NotFound($"No camera '{cameraId}' is known to authorisation."))
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Admin)
            .WithName("GetWatchableCamera")
            .WithSummary("A camera's wearer, command and recording state, as authorisation knows them.");
}
