using BodyCam.Contracts.Audit;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Audit.Monitoring.Alerts;

/// <summary>
/// <c>POST /api/audit/alerts/{alertId}/ack</c> <c>{note}</c> (compliance): closes an alert with what
/// was found. The note is required; the acknowledgement is a fact on the alert's stream and enters
/// the chain. An alert is acknowledged once.
/// </summary>
public static class AcknowledgeAlert
{
    public sealed record Acknowledgement(string? Note = null);

    public static RouteHandlerBuilder MapAcknowledgeAlert(this RouteGroupBuilder alerts) =>
        alerts.MapPost("/{alertId}/ack", HandleAsync)
            .RequireRoles(Roles.Compliance)
            .WithName("AcknowledgeMisuseAlert")
            .WithSummary("Close a misuse alert, saying what was found.");

    private static async Task<IResult> HandleAsync(
        string alertId, Acknowledgement body, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body.Note) || body.Note.Trim().Length < 5)
        {
            return Problem.Invalid("note", "Say what was found (at least 5 characters).");
        }

        var alert = await session.LoadAsync<MisuseAlert>(alertId, cancellationToken);
        if (alert is null)
        {
            return Problem.NotFound($"No misuse alert '{alertId}'.");
        }

        if (alert.State == MisuseAlert.Acknowledged)
        {
            return Problem.Conflict($"Alert '{alertId}' was acknowledged by {alert.AcknowledgedBy} at {alert.AcknowledgedAt:u}.");
        }

        var now = time.GetUtcNow();
        var acknowledged = alert with { State = MisuseAlert.Acknowledged, AcknowledgedBy = http.User.ActorId(), Note = body.Note.Trim(), AcknowledgedAt = now };
        session.Events.Append(MisuseAlert.StreamKey(alertId), new MisuseAlertAcknowledged(
            alertId, alert.Rule, alert.ViewerId, alert.CameraId, acknowledged.Note!, acknowledged.AcknowledgedBy!, now, http.CorrelationId()));
        session.Store(acknowledged);
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(acknowledged);
    }
}
