using BodyCam.Contracts.Streaming;
using JasperFx.Events;

namespace BodyCam.Streaming.Instructions;

/// <summary>
/// A text instruction from a viewer to the wearer of the camera they watch, as its event stream tells
/// it: sent under a live grant, then acknowledged by the camera (once).
/// </summary>
public sealed record Instruction(
    string Id,
    string InstructionId,
    string CameraId,
    string ViewerId,
    string GrantId,
    string? IncidentRef,
    string Text,
    DateTimeOffset SentAt,
    string? AcknowledgedBy = null,
    DateTimeOffset? AcknowledgedAt = null)
{
    /// <summary>What a wearer can read at a glance on a camera's screen.</summary>
    public const int MaxText = 500;

    public static string StreamKey(string instructionId) => $"instruction-{instructionId}";

    /// <summary>Instruction ids are this service's own (32 hex digits); anything else names none.</summary>
    public static bool IsValidId(string instructionId) => instructionId.Length == 32 && instructionId.All(char.IsAsciiHexDigitLower);

    public string State => AcknowledgedAt is null ? "sent" : "acknowledged";

    public static Instruction Create(IEvent<InstructionSent> e) =>
        new(e.StreamKey!, e.Data.InstructionId, e.Data.CameraId, e.Data.ViewerId, e.Data.GrantId, e.Data.IncidentRef, e.Data.Text, e.Data.OccurredAt);

    public Instruction Apply(InstructionAcknowledged e) => this with { AcknowledgedBy = e.ActorId, AcknowledgedAt = e.OccurredAt };

    /// <summary>The instruction to send, or why not (null): the text as the wearer will read it.</summary>
    public static (InstructionSent? Sent, string? Invalid) Send(
        string? text, Live.ViewerPass pass, string instructionId, DateTimeOffset now, Guid correlationId)
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            return (null, "An instruction needs some text.");
        }

        if (trimmed.Length > MaxText)
        {
            return (null, $"An instruction is at most {MaxText} characters: the wearer reads it on the camera.");
        }

        if (trimmed.Any(c => char.IsControl(c) && c != '\n'))
        {
            return (null, "An instruction is plain text: no control characters but line breaks.");
        }

        return (new InstructionSent(instructionId, pass.CameraId, pass.ViewerId, pass.GrantId, pass.IncidentRef, trimmed, pass.ViewerId, now, correlationId), null);
    }

    /// <summary>The camera saw it; nothing when it already said so (an acknowledgement is given once).</summary>
    public InstructionAcknowledged? Acknowledge(string deviceId, DateTimeOffset now, Guid correlationId) =>
        AcknowledgedAt is null ? new InstructionAcknowledged(InstructionId, CameraId, ViewerId, GrantId, deviceId, now, correlationId) : null;
}

/// <summary>An instruction as the API answers it.</summary>
public sealed record InstructionView(
    string InstructionId, string CameraId, string ViewerId, string GrantId, string? IncidentRef, string Text,
    DateTimeOffset SentAt, string State, string? AcknowledgedBy, DateTimeOffset? AcknowledgedAt)
{
    public static InstructionView Of(Instruction i) =>
        new(i.InstructionId, i.CameraId, i.ViewerId, i.GrantId, i.IncidentRef, i.Text, i.SentAt, i.State, i.AcknowledgedBy, i.AcknowledgedAt);
}
