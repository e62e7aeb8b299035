using BodyCam.Contracts.Audit;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using JasperFx;
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

        var acknowledgement = new MisuseAlertAcknowledged(
            alertId, alert.Rule, alert.ViewerId, alert.CameraId, body.Note.Trim(), http.User.ActorId(), time.GetUtcNow(), http.CorrelationId());
        var acknowledged = alert.Apply(acknowledgement);
        session.Events.Append(MisuseAlert.StreamKey(alertId), acknowledgement);
        session.Store(acknowledged);
        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (ConcurrencyException)
        {
            return Problem.Conflict($"Alert '{alertId}' fired again while it was being acknowledged; read it again and acknowledge what it says now.");
        }

        return TypedResults.Ok(acknowledged);
    }
}
