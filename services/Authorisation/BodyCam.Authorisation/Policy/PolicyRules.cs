namespace BodyCam.Authorisation.Policy;

/// <summary>
/// Decides a view request against the policy. The rules are tried in order; the first that refuses
/// decides. Pure: the same policy, viewer, camera and ask always give the same decision.
/// </summary>
public static class PolicyRules
{
    public static Decision Decide(ViewPolicy policy, Viewer viewer, CameraState camera, ViewAsk ask)
    {
        if (policy.ExcludedPurposes.TryGetValue(ask.Purpose, out var why))
        {
            return Deny("excluded-purpose", $"'{ask.Purpose}' is a purpose the force has ruled out. {why}", 403);
        }

        if (!policy.Purposes.TryGetValue(ask.Purpose, out var purpose))
        {
            return Deny("unknown-purpose", $"'{ask.Purpose}' is not a purpose for watching live. Purposes: {string.Join(", ", policy.Purposes.Keys)}.", 400);
        }

        // Judged on every role the token carries: compliance never watches live, whatever else it holds.
        if (viewer.Roles.Contains("compliance"))
        {
            return Deny("compliance-never-watches", "Compliance officers review the record of access; they never watch live, whatever other role they hold.", 403);
        }

        // The role they act in is the first of theirs the purpose is for.
        viewer = viewer with { Role = viewer.Roles.FirstOrDefault(purpose.Roles.Contains) ?? viewer.Role };
        if (!purpose.Roles.Contains(viewer.Role))
        {
            return Deny("purpose-not-for-role", $"A {viewer.Role} may not watch live for '{ask.Purpose}'. It is for: {string.Join(", ", purpose.Roles)}.", 403);
        }

        if (ask.Reason.Trim().Length < policy.MinReasonLength)
        {
            return Deny("reason-required", $"Say why you need to watch, in at least {policy.MinReasonLength} characters: the reason is on the record.", 400);
        }

        if (purpose.IncidentRefRequired && string.IsNullOrWhiteSpace(ask.IncidentRef))
        {
            return Deny("incident-ref-required", $"Watching for '{ask.Purpose}' needs the CAD incident reference.", 400);
        }

        if (viewer.OfficerId is not null && viewer.OfficerId == camera.WearerId)
        {
            return Deny("own-camera", "You cannot watch your own camera live.", 403);
        }

        if (!camera.Recording)
        {
            return Deny("camera-not-recording", $"Camera '{camera.CameraId}' is not recording: only a recording camera can be watched.", 403);
        }

        if (policy.OfficersWithinOwnCommandOnly && viewer.Role == "officer" && viewer.Command != camera.WearerCommand)
        {
            return Deny("outside-own-command", $"An officer may watch colleagues in their own command ({viewer.Command ?? "none"}) only; this camera's wearer is in {camera.WearerCommand ?? "no command"}.", 403);
        }

        var maximum = policy.MaxGrantSeconds.TryGetValue(viewer.Role, out var max) ? max : policy.DefaultGrantSeconds;
        var length = TimeSpan.FromSeconds(Math.Clamp(ask.DurationSeconds ?? policy.DefaultGrantSeconds, 1, maximum));
        var approver = purpose.Approval
            ?? (camera.WearerCommand is not null && policy.ApprovalRequiredForCommands.Contains(camera.WearerCommand) ? "supervisor" : null);
        if (approver is not null)
        {
            return new Decision(Outcome.Pending, "two-person-rule",
                $"Watching for '{ask.Purpose}' on this camera needs a {approver}'s approval; the request waits for one.", 202, length, approver);
        }

        return new Decision(Outcome.Granted, "purpose-allowed",
            $"A {viewer.Role} may watch for '{ask.Purpose}' for up to {maximum / 60} minutes.", 201, length);
    }

    private static Decision Deny(string rule, string explanation, int status) => new(Outcome.Denied, rule, explanation, status);
}
