using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using BodyCam.Streaming.Viewing;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Streaming.Instructions.Sending;

public sealed record SendInstructionRequest(string? Text);

/// <summary>
/// <c>POST /api/streaming/cameras/{cameraId}/messages</c> <c>{text}</c> → 202: a viewer tells the
/// wearer what to do. Only while they hold a live grant on the camera (their bearer token, and the
/// grant's stream token in <c>Stream-Token</c>). Stored first, then delivered to the camera's
/// notification feed; the camera acknowledges it (<c>…/messages/{id}/ack</c>).
/// </summary>
public static class SendInstruction
{
    public static RouteHandlerBuilder MapSendInstruction(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/messages", HandleAsync)
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Compliance)
            .WithName("SendInstruction")
            .WithSummary("Send the wearer of a camera you are watching a short text instruction (your grant's stream token in the Stream-Token header).");

    private static async Task<Results<Accepted<InstructionView>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string cameraId, SendInstructionRequest request, HttpContext http, ViewerAdmission admission, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken)
    {
        var (pass, refusal) = await admission.HolderAsync(http, cameraId);
        if (pass is null)
        {
            return refusal!;
        }

        var id = Guid.CreateVersion7().ToString("N");
        var (sent, invalid) = Instruction.Send(request.Text, pass, id, time.GetUtcNow(), http.CorrelationId());
        if (sent is null)
        {
            return Problem.Invalid("text", invalid!);
        }

        session.Events.StartStream<Instruction>(Instruction.StreamKey(id), sent);
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Accepted($"/api/streaming/cameras/{Uri.EscapeDataString(cameraId)}/messages/{id}",
            new InstructionView(id, sent.CameraId, sent.ViewerId, sent.GrantId, sent.IncidentRef, sent.Text, sent.OccurredAt, "sent", null, null));
    }
}
