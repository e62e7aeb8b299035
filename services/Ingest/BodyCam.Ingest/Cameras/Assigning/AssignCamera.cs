using System.Text.RegularExpressions;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Ingest.Cameras.Assigning;

public sealed record AssignCameraRequest(string OfficerId, string Callsign, string Command);

/// <summary>
/// <c>PUT /api/ingest/cameras/{cameraId}/assignment</c> issues a camera to an officer for a shift;
/// <c>DELETE</c> ends the assignment (the camera is docked). Admins and supervisors do this.
/// Assigning the same officer again changes nothing; assigning another officer first docks the camera.
/// </summary>
public static partial class AssignCamera
{
    public static RouteGroupBuilder MapAssignCamera(this RouteGroupBuilder cameras)
    {
        cameras.MapPut("/{cameraId}/assignment", AssignAsync)
            .RequireRoles(Roles.Admin, Roles.Supervisor)
            .WithName("AssignCamera")
            .WithSummary("Issue a camera to an officer for a shift.");
        cameras.MapDelete("/{cameraId}/assignment", DockAsync)
            .RequireRoles(Roles.Admin, Roles.Supervisor)
            .WithName("DockCamera")
            .WithSummary("End a camera's assignment: the camera is docked and leaves the live map.");
        return cameras;
    }

    private static async Task<Results<Ok<Assignment>, ValidationProblem, ProblemHttpResult>> AssignAsync(
        string cameraId, AssignCameraRequest request, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!IdPattern().IsMatch(request.OfficerId))
        {
            errors["officerId"] = ["Use 1 to 64 letters, digits, '.', '-' or '_'."];
        }

        if (string.IsNullOrWhiteSpace(request.Callsign) || request.Callsign.Length > 32)
        {
            errors["callsign"] = ["Give the officer's callsign, at most 32 characters."];
        }

        if (!CommandPattern().IsMatch(request.Command))
        {
            errors["command"] = ["Give the command (the force's area code), 1 to 16 letters or digits."];
        }

        if (errors.Count > 0)
        {
            return Problem.Invalid(errors);
        }

        var stream = await session.Events.FetchForWriting<Camera>(CameraStream.Key(cameraId), cancellationToken);
        if (!CameraStream.IsValidId(cameraId) || stream.Aggregate is not { } camera)
        {
            return Problem.NotFound($"No camera '{cameraId}' is registered.");
        }

        var events = CameraDecisions.Assign(camera, new Shift(request.OfficerId, request.Callsign.Trim(), request.Command),
            new Change(http.User.ActorId(), time.GetUtcNow(), http.CorrelationId()));
        if (events.Count > 0)
        {
            stream.AppendMany(events);
            await session.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(camera.After(events).Assignment!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DockAsync(
        string cameraId, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken)
    {
        var stream = await session.Events.FetchForWriting<Camera>(CameraStream.Key(cameraId), cancellationToken);
        if (!CameraStream.IsValidId(cameraId) || stream.Aggregate is not { } camera)
        {
            return Problem.NotFound($"No camera '{cameraId}' is registered.");
        }

        var events = CameraDecisions.Dock(camera, new Change(http.User.ActorId(), time.GetUtcNow(), http.CorrelationId()));
        if (events.Count > 0)
        {
            stream.AppendMany(events);
            await session.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.NoContent();
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9]{1,16}$", RegexOptions.CultureInvariant)]
    private static partial Regex CommandPattern();
}
