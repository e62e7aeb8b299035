using System.Text.RegularExpressions;
using BodyCam.Authorisation.Cameras;
using BodyCam.Authorisation.Policy;
using BodyCam.Authorisation.Tokens;
using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using JasperFx.Events;
using Marten;

namespace BodyCam.Authorisation.Grants.Requesting;

public sealed record ViewRequest(
    string? CameraId = null, string? OfficerId = null, string? Purpose = null, string? Reason = null, string? IncidentRef = null, int? DurationSeconds = null);

public sealed record GrantedView(string GrantId, string CameraId, string Decision, DateTimeOffset ExpiresAt, string StreamToken, string PolicyVersion, string Rule);

public sealed record PendingView(string RequestId, string CameraId, string Decision, string ApproverRole, string PolicyVersion, string Rule);

/// <summary>
/// <c>POST /api/authorisation/view-requests</c>: asking to watch a camera (or an officer's camera) live,
/// for a purpose from the policy's list, with a reason and, where the purpose needs one, the CAD
/// incident reference. The decision, granted, pending or denied, is stored as an event before it is
/// answered: 201 with a stream token, 202 awaiting a supervisor, or a problem naming the rule.
/// </summary>
public static partial class RequestView
{
    public static RouteHandlerBuilder MapRequestView(this RouteGroupBuilder requests) =>
        requests.MapPost("/", HandleAsync)
            // Roles that may ever watch, and compliance, whose request the policy refuses on the record.
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Compliance)
            .WithName("RequestView")
            .WithSummary("Ask to watch a camera live, saying why.");

    private static async Task<IResult> HandleAsync(
        ViewRequest request, HttpContext http, IDocumentSession session, PolicyStore policies, StreamTokens tokens, TimeProvider time, CancellationToken cancellationToken)
    {
        var policy = policies.Current;
        var viewer = Viewers.From(http.User).Acting(policy, request.Purpose ?? "");
        var ask = new ViewAsk(request.Purpose ?? "", request.Reason ?? "", string.IsNullOrWhiteSpace(request.IncidentRef) ? null : request.IncidentRef.Trim(), request.DurationSeconds);
        var requestId = Guid.CreateVersion7().ToString("N");
        var now = time.GetUtcNow();

        var malformed = Malformed(request);
        if (malformed is not null)
        {
            return await RefuseAsync(malformed, null);
        }

        var camera = request.CameraId is { } cameraId
            ? await session.LoadAsync<WatchableCamera>(cameraId, cancellationToken)
            : await session.Query<WatchableCamera>().Where(c => c.WearerId == request.OfficerId).OrderByDescending(c => c.Recording).FirstOrDefaultAsync(cancellationToken);
        if (camera is null)
        {
            var unknown = request.CameraId is not null
                ? new Decision(Outcome.Denied, "unknown-camera", $"No camera '{request.CameraId}' is registered.", 404)
                : new Decision(Outcome.Denied, "unknown-officer", $"Officer '{request.OfficerId}' has no camera assigned.", 404);
            return await RefuseAsync(unknown, null);
        }

        var decision = PolicyRules.Decide(policy, viewer, camera.State, ask);
        var grant = await RecordAsync(decision, camera);
        return decision.Outcome switch
        {
            Outcome.Granted => TypedResults.Created($"/api/authorisation/grants/{requestId}",
                new GrantedView(requestId, camera.Id, "granted", grant.ExpiresAt!.Value, tokens.Issue(grant, now), policy.Version, decision.Rule)),
            Outcome.Pending => TypedResults.Accepted($"/api/authorisation/view-requests/{requestId}",
                new PendingView(requestId, camera.Id, "pending", decision.ApproverRole!, policy.Version, decision.Rule)),
            _ => Denial.Of(decision, policy.Version, requestId),
        };

        async Task<IResult> RefuseAsync(Decision refusal, WatchableCamera? known)
        {
            await RecordAsync(refusal, known);
            return Denial.Of(refusal, policy.Version, requestId);
        }

        async Task<ViewGrant> RecordAsync(Decision d, WatchableCamera? known)
        {
            var decided = GrantDecisions.Request(requestId, d, viewer, ask, policy.Version, known?.Id ?? request.CameraId, known?.WearerId ?? request.OfficerId,
                known?.WearerCommand, http.ClientAddress(), new(now, http.CorrelationId()));
            var stream = session.Events.StartStream<ViewGrant>(ViewGrant.StreamKey(requestId), decided);
            await session.SaveChangesAsync(cancellationToken);
            return ViewGrant.Create(stream.Events.OfType<IEvent<ViewRequestDecided>>().Single());
        }
    }

    /// <summary>A request that cannot be decided as asked: refused with 400, and still on the record.</summary>
    private static Decision? Malformed(ViewRequest request)
    {
        if ((request.CameraId is null) == (request.OfficerId is null))
        {
            return new Decision(Outcome.Denied, "camera-or-officer", "Name either the camera (cameraId) or the officer (officerId), not both.", 400);
        }

        if (request.Purpose is null)
        {
            return new Decision(Outcome.Denied, "purpose-required", "Give the purpose, from the policy's list.", 400);
        }

        if (request.IncidentRef is { } incident && !string.IsNullOrWhiteSpace(incident) && !IncidentRefPattern().IsMatch(incident.Trim()))
        {
            return new Decision(Outcome.Denied, "incident-ref-format", "An incident reference is 1 to 64 letters, digits, '/', '-' or '_'.", 400);
        }

        if (request.Reason is { Length: > 1000 })
        {
            return new Decision(Outcome.Denied, "reason-too-long", "A reason is at most 1000 characters.", 400);
        }

        return request.DurationSeconds is < 1
            ? new Decision(Outcome.Denied, "duration-positive", "durationSeconds, when given, is 1 or more.", 400)
            : null;
    }

    [GeneratedRegex("^[A-Za-z0-9/_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IncidentRefPattern();
}
