using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BodyCam.ServiceDefaults.Security;

/// <summary>Putting refusals on the record, as a service asks for it by name.</summary>
public static class RefusalAudit
{
    /// <summary>
    /// Every refusal becomes a fact in the service's event store (so it needs <c>AddEventStore</c>):
    /// a caller who proved who they are and was refused, one <c>AccessRefused</c> each, through the
    /// authorisation middleware's result handler and <see cref="AccessRefusals"/>; callers who proved
    /// nothing, counted per source and reason (<see cref="UnverifiedRefusals"/>).
    /// </summary>
    public static WebApplicationBuilder AddRefusalAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AccessRefusals>();
        builder.Services.AddSingleton<UnverifiedRefusals>();
        builder.Services.AddHostedService<UnverifiedRefusalsFlusher>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditedAuthorizationResultHandler>();
        return builder;
    }
}
