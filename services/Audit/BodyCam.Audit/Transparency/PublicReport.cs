using System.Text;
using BodyCam.ServiceDefaults.Problems;
using Marten;

namespace BodyCam.Audit.Transparency;

/// <summary>
/// The published report, open to anyone without signing in: <c>GET /public/transparency</c> (a page),
/// <c>/public/transparency.json</c> and <c>/public/transparency.csv</c> (open data), the newest month or
/// <c>?period=yyyy-MM</c>. They read only what a person or the schedule published.
/// </summary>
public static class PublicReport
{
    public const string Path = "/public/transparency";

    public static WebApplication MapPublicReport(this WebApplication app)
    {
        var open = app.MapGroup("/public").WithTags("Transparency").AllowAnonymous();
        open.MapGet("/transparency", async (IQuerySession session, TransparencyReports reports, HttpContext http, CancellationToken cancellationToken, string? period = null) =>
            {
                if (Invalid(period) is { } invalid)
                {
                    return invalid;
                }

                var published = await reports.PublishedAsync(session, period, cancellationToken);
                var periods = await TransparencyReports.PublishedPeriodsAsync(session, cancellationToken);
                if (published is null && period is not null)
                {
                    return Problem.NotFound($"No transparency report has been published for {period}.");
                }

                Headers(http);
                http.Response.Headers.ContentSecurityPolicy = ReportPage.ContentSecurityPolicy;
                return Results.Content(ReportPage.Render(published?.Report, published?.PublishedAt, periods, reports.Options.Contact), "text/html; charset=utf-8", Encoding.UTF8);
            })
            .WithName("TransparencyReportPage")
            .WithSummary("The published transparency report as a page anyone can read (newest month, or ?period=yyyy-MM).")
            .Produces(StatusCodes.Status200OK, contentType: "text/html");
        open.MapGet("/transparency.json", async (IQuerySession session, TransparencyReports reports, HttpContext http, CancellationToken cancellationToken, string? period = null) =>
                Invalid(period) ?? (await reports.PublishedAsync(session, period, cancellationToken) is { } published
                    ? Json(http, published)
                    : Problem.NotFound(period is null ? "No transparency report has been published yet." : $"No transparency report has been published for {period}.")))
            .WithName("TransparencyReportJson")
            .WithSummary("The published transparency report as open data (JSON; fields in docs/transparency.md).")
            .Produces<TransparencyReport>();
        open.MapGet("/transparency.csv", async (IQuerySession session, TransparencyReports reports, HttpContext http, CancellationToken cancellationToken, string? period = null) =>
            {
                if (Invalid(period) is { } invalid)
                {
                    return invalid;
                }

                if (await reports.PublishedAsync(session, period, cancellationToken) is not { } published)
                {
                    return Problem.NotFound(period is null ? "No transparency report has been published yet." : $"No transparency report has been published for {period}.");
                }

                Headers(http);
                http.Response.Headers.ContentDisposition = $"inline; filename=\"bodycam-transparency-{published.Id}.csv\"";
                return Results.Text(ReportCsv.Write(published.Report), "text/csv; charset=utf-8", Encoding.UTF8);
            })
            .WithName("TransparencyReportCsv")
            .WithSummary("The published transparency report's figures as open data (CSV, one figure per row).")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        return app;
    }

    private static IResult? Invalid(string? period) =>
        period is not null && !ReportPeriod.TryParse(period, TimeZoneInfo.Utc, out _)
            ? Problem.Invalid("period", "Name a month as yyyy-MM, for example 2026-11.")
            : null;

    private static IResult Json(HttpContext http, PublishedTransparencyReport published)
    {
        Headers(http);
        return TypedResults.Ok(published.Report);
    }

    private static void Headers(HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers.AccessControlAllowOrigin = "*";
    }
}
