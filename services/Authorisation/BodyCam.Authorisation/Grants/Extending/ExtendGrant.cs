using BodyCam.Authorisation.Policy;
using BodyCam.Authorisation.Tokens;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Authorisation.Grants.Extending;

public sealed record ExtendRequest(string? Reason = null);

public sealed record ExtendedGrant(string GrantId, DateTimeOffset ExpiresAt, string StreamToken);

/// <summary>
/// <c>POST /api/authorisation/grants/{grantId}/extend</c> (the viewer): renews a live grant for the
/// length the policy allows the viewer's role, with a reason; a new stream token comes back.
/// </summary>
public static class ExtendGrant
{
    public static RouteHandlerBuilder MapExtendGrant(this RouteGroupBuilder grants) =>
        grants.MapPost("/{grantId}/extend", HandleAsync)
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom)
            .WithName("ExtendGrant")
            .WithSummary("Renew a live grant, saying why; a new stream token comes back.");

    private static async Task<Results<Ok<ExtendedGrant>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string grantId, ExtendRequest request, HttpContext http, IDocumentSession session, PolicyStore policies, StreamTokens tokens,
        AccessRefusals refusals, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stream = await session.Events.FetchForWriting<ViewGrant>(ViewGrant.StreamKey(grantId), cancellationToken);
        var decided = GrantDecisions.Extend(stream.Aggregate, grantId, request.Reason, policies.Current, Actor.From(http.User), new(now, http.CorrelationId()));
        if (decided.Event is not { } extended)
        {
            return await decided.Refusal!.AnswerAsync<Ok<ExtendedGrant>>(http, refusals, cancellationToken);
        }

        stream.AppendOne(extended);
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new ExtendedGrant(grantId, extended.ExpiresAt, tokens.Issue(stream.Aggregate!.Apply(extended), now)));
    }
}
