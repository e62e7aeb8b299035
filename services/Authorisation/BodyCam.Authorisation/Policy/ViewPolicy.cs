using System.Text.Json.Serialization;

namespace BodyCam.Authorisation.Policy;

/// <summary>The rules of <c>view-policy.json</c>, as loaded.</summary>
public sealed record ViewPolicy(
    string Description,
    IReadOnlyDictionary<string, string> ExcludedPurposes,
    IReadOnlyDictionary<string, PurposeRule> Purposes,
    int MinReasonLength,
    bool OfficersWithinOwnCommandOnly,
    int DefaultGrantSeconds,
    IReadOnlyDictionary<string, int> MaxGrantSeconds,
    IReadOnlyList<string> ApprovalRequiredForCommands)
{
    /// <summary>The hash of the policy file: every decision names the version it was made under.</summary>
    [JsonIgnore]
    public string Version { get; init; } = "";
}

/// <summary>Who may watch for a purpose, whether it needs an incident reference, and whose approval.</summary>
public sealed record PurposeRule(IReadOnlyList<string> Roles, bool IncidentRefRequired, string? Approval = null);

/// <summary>
/// Who asks to watch: <see cref="Role"/> is the role they act in, <see cref="Roles"/> every role their
/// token carries. A token with several roles is judged on all of them.
/// </summary>
public sealed record Viewer(string ViewerId, string Role, string? Command, string? OfficerId, IReadOnlyList<string>? AllRoles = null)
{
    public IReadOnlyList<string> Roles => AllRoles ?? [Role];
}

/// <summary>The camera asked for, as authorisation knows it.</summary>
public sealed record CameraState(string CameraId, string? WearerId, string? WearerCommand, bool Recording);

/// <summary>What the viewer asks for.</summary>
public sealed record ViewAsk(string Purpose, string Reason, string? IncidentRef, int? DurationSeconds);

public enum Outcome
{
    Granted,
    Pending,
    Denied,
}

/// <summary>
/// A decision and why: the rule that decided it, in plain language, and the HTTP status the refusal
/// is answered with (400 for a request that cannot be decided as asked, 403 for a rule, the camera's
/// state included: a camera not recording is a denial like any other).
/// </summary>
public sealed record Decision(Outcome Outcome, string Rule, string Explanation, int Status, TimeSpan Length = default, string? ApproverRole = null);
