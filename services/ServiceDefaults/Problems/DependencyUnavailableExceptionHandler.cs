using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BodyCam.ServiceDefaults.Problems;

/// <summary>
/// A request that fails because PostgreSQL (or another server the service needs) is down or
/// restarting is a 503 problem with <c>Retry-After</c>, never a 500: the caller did nothing wrong and
/// may try again shortly. Nothing was changed, since the store's transaction did not commit.
/// </summary>
internal sealed class DependencyUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<DependencyUnavailableExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!DependencyFailures.IsUnavailable(exception) || httpContext.Response.HasStarted)
        {
            return false;
        }

        log.LogWarning(exception, "A dependency was unavailable for {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Type = ProblemTypes.DependencyUnavailable,
                Title = "A dependency is unavailable",
                Detail = "A server this service needs (its database) is not answering just now; nothing was changed. Try again shortly.",
            },
        });
    }

}

/// <summary>Which failures mean a server the service needs is down or restarting, not that the request was wrong.</summary>
public static class DependencyFailures
{
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        NpgsqlException { IsTransient: true } or NpgsqlException { InnerException: SocketException or TimeoutException or IOException } => true,
        // Every host answered, none as a primary: a replica is being promoted (Npgsql's multi-host
        // failover says so only in its message).
        NpgsqlException { Message: "No suitable host was found." } => true,
        // admin shutdown, crash shutdown, cannot connect now, too many connections
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" } => true,
        SocketException or TimeoutException => true,
        _ when exception.InnerException is { } inner => IsUnavailable(inner),
        _ => false,
    };
}
