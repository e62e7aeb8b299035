using BodyCam.Authorisation.Tokens;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Authorisation.Grants.Approving;

public sealed record DecisionNote(string? Note = null);

/// <summary>
/// The two-person rule. <c>GET /api/authorisation/view-requests?state=pending</c> lists what waits;
/// <c>POST …/{requestId}/approve</c> or <c>/refuse</c> decides it (a supervisor, never the requester).
/// Both people are on the record. The requester reads the live grant, with its stream token, at
/// <c>GET /api/authorisation/view-requests/{requestId}</c>.
/// </summary>
public static class DecidePendingRequest
{
    public static RouteGroupBuilder MapDecidePendingRequests(this RouteGroupBuilder requests)
    {
        requests.MapGet("/", async (HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken, string? state = "pending", string? reason = null) =>
            {
                if (!GrantStates.TryParse(state, out var wanted))
                {
                    return (Results<Ok<IEnumerable<GrantView>>, ValidationProblem>)Problem.Invalid("state", $"A state is one of: {string.Join(", ", Enum.GetValues<GrantState>().Select(s => s.Name()))}.");
                }

                var found = await session.Query<ViewGrant>().Where(g => g.State == wanted).OrderBy(g => g.RequestedAt).Take(500).ToListAsync(cancellationToken);
                await PersonalDataReads.RecordPolledAsync(session, http, "authorisation", "view-requests", null, found.Count, reason, time.GetUtcNow(), cancellationToken);
                return TypedResults.Ok(found.Select(g => GrantView.Of(g)));
            })
            .RequireRoles(Roles.Supervisor)
            .WithName("ListViewRequests")
            .WithSummary("View requests in a state (pending by default), oldest first.");
        requests.MapGet("/{requestId}", GetAsync)
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Compliance)
            .WithName("GetViewRequest")
            .WithSummary("A view request and what became of it; its viewer gets the stream token of a live grant.");
        requests.MapPost("/{requestId}/approve", (string requestId, DecisionNote note, HttpContext http, IDocumentSession session, AccessRefusals refusals, TimeProvider time, CancellationToken ct) =>
                DecideAsync(requestId, approve: true, note, http, session, refusals, time, ct))
            .RequireRoles(Roles.Supervisor)
            .WithName("ApproveViewRequest");
        requests.MapPost("/{requestId}/refuse", (string requestId, DecisionNote note, HttpContext http, IDocumentSession session, AccessRefusals refusals, TimeProvider time, CancellationToken ct) =>
                DecideAsync(requestId, approve: false, note, http, session, refusals, time, ct))
            .RequireRoles(Roles.Supervisor)
            .WithName("RefuseViewRequest");
        return requests;
    }

    private static async Task<Results<Ok<GrantView>, ProblemHttpResult>> GetAsync(
        string requestId, HttpContext http, IQuerySession session, StreamTokens tokens, AccessRefusals refusals, TimeProvider time, CancellationToken cancellationToken)
    {
        var grant = await session.LoadAsync<ViewGrant>(ViewGrant.StreamKey(requestId), cancellationToken);
        if (grant is null)
        {
            return Problem.NotFound($"No view request '{requestId}'.");
        }

        if (grant.ViewerId != http.User.ActorId() && !http.User.IsInRole(Roles.Supervisor) && !http.User.IsInRole(Roles.Compliance))
        {
            await refusals.RecordAsync(http, $"Only the requester, a supervisor or compliance may read view request {requestId}.", cancellationToken);
            return Problem.Forbidden("Only the requester, a supervisor or compliance may read this request.");
        }

        return TypedResults.Ok(GrantView.For(grant, http.User, tokens, time.GetUtcNow()));
    }

    private static async Task<Results<Ok<GrantView>, ValidationProblem, ProblemHttpResult>> DecideAsync(
        string requestId, bool approve, DecisionNote note, HttpContext http, IDocumentSession session, AccessRefusals refusals, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var stream = await session.Events.FetchForWriting<ViewGrant>(ViewGrant.StreamKey(requestId), cancellationToken);
        var decided = GrantDecisions.Decide(stream.Aggregate, requestId, approve, note.Note, Actor.From(http.User), new(time.GetUtcNow(), http.CorrelationId()));
        if (decided.Event is not { } decision)
        {
            return await decided.Refusal!.AnswerAsync<Ok<GrantView>>(http, refusals, cancellationToken);
        }

        stream.AppendOne(decision);
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(GrantView.Of(stream.Aggregate!.After(decision)));
    }
}
