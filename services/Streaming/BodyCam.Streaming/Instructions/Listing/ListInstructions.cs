using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Instructions.Listing;

/// <summary>
/// <c>GET /api/streaming/cameras/{cameraId}/messages</c>: for the camera (its device token), the
/// instructions it was sent, those not yet acknowledged first (what a camera reads when its feed
/// reconnects); for a viewer, the instructions they sent it, with whether each was acknowledged.
/// Newest first, at most <c>limit</c> (50).
/// <c>GET …/messages/{instructionId}</c>: one of them, to the same callers.
/// </summary>
public static class ListInstructions
{
    public static RouteGroupBuilder MapListInstructions(this RouteGroupBuilder cameras)
    {
        cameras.MapGet("/{cameraId}/messages", ListAsync)
            .RequireRoles(Roles.Device, Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Compliance)
            .WithName("ListInstructions")
            .WithSummary("Instructions sent to a camera: all of them to the camera itself, your own to a viewer.");
        cameras.MapGet("/{cameraId}/messages/{instructionId}", GetAsync)
            .RequireRoles(Roles.Device, Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Compliance)
            .WithName("GetInstruction")
            .WithSummary("One instruction, to its camera or to the viewer who sent it.");
        return cameras;
    }

    private static async Task<Results<Ok<IReadOnlyList<InstructionView>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        string cameraId, HttpContext http, IQuerySession session, AccessRefusals refusals, CancellationToken cancellationToken, string? state = null, int limit = 50)
    {
        if (limit is < 1 or > 500)
        {
            return Problem.Invalid("limit", "limit must be between 1 and 500.");
        }

        if (state is not (null or "sent" or "acknowledged"))
        {
            return Problem.Invalid("state", "state is 'sent' or 'acknowledged'.");
        }

        var query = session.Query<Instruction>().Where(i => i.CameraId == cameraId);
        if (http.User.IsInRole(Roles.Device))
        {
            if (await OwnCamera.RefuseUnlessAsync(http, cameraId, refusals) is { } refused)
            {
                return refused;
            }
        }
        else
        {
            var me = http.User.ActorId();
            query = query.Where(i => i.ViewerId == me);
        }

        query = state switch
        {
            "sent" => query.Where(i => i.AcknowledgedAt == null),
            "acknowledged" => query.Where(i => i.AcknowledgedAt != null),
            _ => query,
        };
        var found = await query.OrderByDescending(i => i.SentAt).Take(limit).ToListAsync(cancellationToken);
        IReadOnlyList<InstructionView> views = [.. found.OrderBy(i => i.AcknowledgedAt is null ? 0 : 1).ThenByDescending(i => i.SentAt).Select(InstructionView.Of)];
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<InstructionView>, ProblemHttpResult>> GetAsync(
        string cameraId, string instructionId, HttpContext http, IQuerySession session, AccessRefusals refusals, CancellationToken cancellationToken)
    {
        if (http.User.IsInRole(Roles.Device) && await OwnCamera.RefuseUnlessAsync(http, cameraId, refusals) is { } refused)
        {
            return refused;
        }

        var instruction = Instruction.IsValidId(instructionId)
            ? await session.LoadAsync<Instruction>(Instruction.StreamKey(instructionId), cancellationToken)
            : null;
        // Another viewer's instruction is as absent as one that does not exist.
        if (instruction is null || instruction.CameraId != cameraId || !http.User.IsInRole(Roles.Device) && instruction.ViewerId != http.User.ActorId())
        {
            return Problem.NotFound($"No instruction '{instructionId}' of yours to camera '{cameraId}'.");
        }

        return TypedResults.Ok(InstructionView.Of(instruction));
    }
}
