using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Monitoring.Alerts;

/// <summary><c>GET /api/audit/alerts?state=open|acknowledged|all</c>: misuse alerts for compliance, newest first.</summary>
public static class ListAlerts
{
    public static RouteHandlerBuilder MapListAlerts(this RouteGroupBuilder alerts) =>
        alerts.MapGet("/", HandleAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("ListMisuseAlerts")
            .WithSummary("Misuse alerts, newest first: open (the default), acknowledged or all.");

    private static async Task<Results<Ok<IReadOnlyList<MisuseAlert>>, ValidationProblem>> HandleAsync(
        HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken, string state = MisuseAlert.Open, string? viewerId = null, int limit = 200, string? reason = null)
    {
        if (state is not (MisuseAlert.Open or MisuseAlert.Acknowledged or "all"))
        {
            return Problem.Invalid("state", "state is open, acknowledged or all.");
        }

        if (limit is < 1 or > 1000)
        {
            return Problem.Invalid("limit", "limit must be between 1 and 1000.");
        }

        var query = session.Query<MisuseAlert>().AsQueryable();
        if (state != "all")
        {
            query = query.Where(a => a.State == state);
        }

        if (viewerId is not null)
        {
            query = query.Where(a => a.ViewerId == viewerId);
        }

        IReadOnlyList<MisuseAlert> alerts = await query.OrderByDescending(a => a.Seq).Take(limit).ToListAsync(cancellationToken);
        // The console polls open alerts every few seconds while the screen is shown: one record per
        // reader and query each quarter of an hour (a session of reading), not one per poll.
        var now = time.GetUtcNow();
        await PersonalDataReads.RecordPolledAsync(session, http, "audit", "misuse-alerts", viewerId, alerts.Count, reason, now, cancellationToken);

        return TypedResults.Ok(alerts);
    }
}
