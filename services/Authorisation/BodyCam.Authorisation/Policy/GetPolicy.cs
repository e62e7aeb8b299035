namespace BodyCam.Authorisation.Policy;

/// <summary><c>GET /api/authorisation/policy</c>: the policy in force and its version, for anyone signed in.</summary>
public static class GetPolicy
{
    public static RouteHandlerBuilder MapGetPolicy(this RouteGroupBuilder authorisation) =>
        authorisation.MapGet("/policy", (PolicyStore policies) =>
            {
                var p = policies.Current;
                return TypedResults.Ok(new
                {
                    version = p.Version,
                    p.Description,
                    p.ExcludedPurposes,
                    p.Purposes,
                    p.MinReasonLength,
                    p.OfficersWithinOwnCommandOnly,
                    p.DefaultGrantSeconds,
                    p.MaxGrantSeconds,
                    p.ApprovalRequiredForCommands,
                });
            })
            .WithName("GetPolicy")
            .WithSummary("The view policy in force, with its version.");
}
