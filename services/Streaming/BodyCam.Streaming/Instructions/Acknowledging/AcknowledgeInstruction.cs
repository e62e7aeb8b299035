using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Instructions.Acknowledging;

/// <summary>
/// <c>POST /api/streaming/cameras/{cameraId}/messages/{instructionId}/ack</c> (the camera's device
/// token): the wearer saw the instruction. Given again, it changes nothing and answers the same.
/// </summary>
public static class AcknowledgeInstruction
{
    public static RouteHandlerBuilder MapAcknowledgeInstruction(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/messages/{instructionId}/ack", HandleAsync)
            .RequireRoles(Roles.Device)
            .WithName("AcknowledgeInstruction")
            .WithSummary("The camera acknowledges an instruction it was sent; the viewer sees it acknowledged.");

    private static async Task<Results<Ok<InstructionView>, ProblemHttpResult>> HandleAsync(
        string cameraId, string instructionId, HttpContext http, IDocumentSession session, AccessRefusals refusals, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await OwnCamera.RefuseUnlessAsync(http, cameraId, refusals) is { } refused)
        {
            return refused;
        }

        var stream = Instruction.IsValidId(instructionId)
            ? await session.Events.FetchForWriting<Instruction>(Instruction.StreamKey(instructionId), cancellationToken)
            : null;
        if (stream?.Aggregate is not { } instruction || instruction.CameraId != cameraId)
        {
            return Problem.NotFound($"Camera '{cameraId}' was sent no instruction '{instructionId}'.");
        }

        if (instruction.Acknowledge(http.User.ActorId(), time.GetUtcNow(), http.CorrelationId()) is { } acknowledged)
        {
            stream.AppendOne(acknowledged);
            await session.SaveChangesAsync(cancellationToken);
            instruction = instruction.Apply(acknowledged);
        }

        return TypedResults.Ok(InstructionView.Of(instruction));
    }
}
