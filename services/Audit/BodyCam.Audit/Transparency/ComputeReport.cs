using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Audit.Transparency;

/// <summary>
/// <c>GET /api/audit/transparency/{period}/preview</c> (compliance, admin): the month's report as it
/// would be published now, without publishing it. <c>POST /api/audit/transparency/{period}/publish</c>
/// (compliance, admin): computes it again and publishes it at <c>/public/transparency</c>, replacing an
/// earlier publication of the same month. Either way, computing it is a fact on the record.
/// </summary>
public static class ComputeReport
{
    public static RouteGroupBuilder MapComputeReport(this RouteGroupBuilder transparency)
    {
        transparency.MapGet("/{period}/preview", (string period, HttpContext http, TransparencyReports reports, TimeProvider time, CancellationToken cancellationToken) =>
                ComputeAsync(period, publish: false, http, reports, time, cancellationToken))
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("PreviewTransparencyReport")
            .WithSummary("The month's transparency report as it would be published now (yyyy-MM); computing it is recorded.");
        transparency.MapPost("/{period}/publish", (string period, HttpContext http, TransparencyReports reports, TimeProvider time, CancellationToken cancellationToken) =>
                ComputeAsync(period, publish: true, http, reports, time, cancellationToken))
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("PublishTransparencyReport")
            .WithSummary("Compute the month's transparency report (yyyy-MM) and publish it at /public/transparency.");
        return transparency;
    }

    private static async Task<Results<Ok<TransparencyReport>, ValidationProblem>> ComputeAsync(
        string period, bool publish, HttpContext http, TransparencyReports reports, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ReportPeriod.TryParse(period, reports.Zone, out var month))
        {
            return Problem.Invalid("period", "Name a month as yyyy-MM, for example 2026-11.");
        }

        if (month.From > time.GetUtcNow())
        {
            return Problem.Invalid("period", $"{month.Name} has not begun: there is nothing to report yet.");
        }

        return TypedResults.Ok(await reports.ComputeAsync(month, publish, http.User.ActorId(), http.CorrelationId(), cancellationToken));
    }
}
