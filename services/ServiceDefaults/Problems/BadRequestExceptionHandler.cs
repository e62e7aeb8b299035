using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace BodyCam.ServiceDefaults.Problems;

/// <summary>
/// Turns a request the framework could not read (malformed JSON, a body of the wrong type, a body
/// too large) into a 4xx problem that says what was wrong, instead of a bare status or a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = bad.StatusCode,
                Type = ProblemTypes.ForStatus(bad.StatusCode),
                Title = "The request could not be read",
                // The framework's message names the parameter and the reason, never the body's content.
                Detail = bad.InnerException is System.Text.Json.JsonException json
                    ? $"{bad.Message} {json.Message}"
                    : bad.Message,
            },
        });
    }
}
