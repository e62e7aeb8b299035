using BodyCam.Authorisation.Policy;
using BodyCam.Authorisation.Tokens;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Authorisation.Grants;

/// <summary>A grant or request as its viewer, a supervisor or compliance sees it. The stream token goes only to the viewer.</summary>
public sealed record GrantView(
    string GrantId, string State, string? CameraId, string? OfficerId, string ViewerId, string ViewerRole, string Purpose, string Reason,
    string? IncidentRef, DateTimeOffset RequestedAt, DateTimeOffset? ExpiresAt, string PolicyVersion, string Rule, string? ApproverRole,
    string? DecidedBy, DateTimeOffset? EndedAt, string? EndReason, string? StreamToken)
{
    public static GrantView Of(ViewGrant g, string? streamToken = null) =>
        new(g.GrantId, g.State.Name(), g.CameraId, g.WearerId, g.ViewerId, g.ViewerRole, g.Purpose, g.Reason, g.IncidentRef, g.RequestedAt, g.ExpiresAt,
            g.PolicyVersion, g.Rule, g.ApproverRole, g.DecidedBy, g.EndedAt, g.EndReason, streamToken);

    /// <summary>The view for <paramref name="caller"/>: with a fresh stream token when the caller is the viewer of a live grant.</summary>
    public static GrantView For(ViewGrant g, System.Security.Claims.ClaimsPrincipal caller, StreamTokens tokens, DateTimeOffset now) =>
        Of(g, g.IsLive(now) && g.ViewerId == caller.ActorId() ? tokens.Issue(g, now) : null);
}

/// <summary>Who is asking, from their token.</summary>
public static class Viewers
{
    public static Viewer From(System.Security.Claims.ClaimsPrincipal user)
    {
        var roles = user.RoleNames();
        return new(user.ActorId(), roles.FirstOrDefault() ?? "none", user.FindFirst(BodyCamClaims.Command)?.Value, user.FindFirst(BodyCamClaims.OfficerId)?.Value,
            roles.Count > 0 ? roles : null);
    }

    /// <summary>The viewer in the role they act in for <paramref name="purpose"/>: the first of their roles the purpose is for.</summary>
    public static Viewer Acting(this Viewer viewer, ViewPolicy policy, string purpose) =>
        policy.Purposes.TryGetValue(purpose, out var rule) && viewer.Roles.FirstOrDefault(rule.Roles.Contains) is { } role ? viewer with { Role = role } : viewer;
}

/// <summary>A refused view request as problem details, with what the policy said.</summary>
public static class Denial
{
    public const string ProblemType = "urn:bodycam:problem:view-denied";

    public static ProblemHttpResult Of(Decision decision, string policyVersion, string requestId) =>
        TypedResults.Problem(
            decision.Explanation,
            statusCode: decision.Status,
            title: "View request denied",
            type: ProblemType,
            extensions: new Dictionary<string, object?>
            {
                ["decision"] = "denied",
                ["rule"] = decision.Rule,
                ["explanation"] = decision.Explanation,
                ["policyVersion"] = policyVersion,
                ["requestId"] = requestId,
            });
}
