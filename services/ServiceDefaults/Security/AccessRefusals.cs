using BodyCam.Contracts.Access;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using BodyCam.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BodyCam.ServiceDefaults.Security;

/// <summary>
/// Records every refusal of an identified caller as an <see cref="AccessRefused"/> fact in the
/// service's own event store, from where it is published to audit like any other fact.
/// </summary>
public sealed class AccessRefusals(IDocumentStore store, TimeProvider time, ServiceIdentity service, ILogger<AccessRefusals> log)
{
    public Task RecordAsync(HttpContext context, string reason, CancellationToken cancellationToken = default) =>
        RecordAsync(context, reason, context.User.ActorId(), cancellationToken);

    /// <summary>Records a refusal for an actor the token named but did not prove (a forged or expired token).</summary>
    public async Task RecordAsync(HttpContext context, string reason, string actorId, CancellationToken cancellationToken)
    {
        var refused = new AccessRefused(
            service.Name,
            context.Request.Method,
            context.Request.Path.Value ?? "/",
            context.User.RoleNames(),
            reason,
            context.ClientAddress(),
            actorId,
            time.GetUtcNow(),
            context.CorrelationId());
        try
        {
            await using var session = store.LightweightSession();
            session.Events.StartStream($"refusal-{Guid.CreateVersion7()}", refused);
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The caller is refused either way; a refusal we could not record must at least be loud.
            log.LogError(e, "Could not record the refusal of {Actor} at {Method} {Path}", refused.ActorId, refused.Method, refused.Path);
        }
    }
}

/// <summary>Sends the authorisation middleware's refusals of authenticated callers to <see cref="AccessRefusals"/>.</summary>
internal sealed class AuditedAuthorizationResultHandler(AccessRefusals refusals, IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden || context.User.Identity?.IsAuthenticated != true)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var failed = authorizeResult.AuthorizationFailure?.FailedRequirements.ToList() ?? [];
        await refusals.RecordAsync(context, string.Join("; ", failed.Select(r => r.ToString())), context.RequestAborted);

        var roles = failed.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).Distinct().ToList();
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Type = ProblemTypes.Forbidden,
                Title = "Forbidden",
                Detail = roles.Count > 0
                    ? $"This needs one of the roles: {string.Join(", ", roles)}. The refusal is recorded."
                    : "Your token does not allow this. The refusal is recorded.",
            },
        });
    }
}
