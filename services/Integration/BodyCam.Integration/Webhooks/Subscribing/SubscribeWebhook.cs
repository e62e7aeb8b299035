using System.Security.Cryptography;
using System.Text.RegularExpressions;
using BodyCam.Contracts.Integration;
using BodyCam.Integration.Feed;
using BodyCam.Integration.Webhooks.Targets;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Integration.Webhooks.Subscribing;

public sealed record SubscribeRequest(string? Url, IReadOnlyList<string>? Types, SubscribeFilters? Filters = null, string? Secret = null);

public sealed record SubscribeFilters(string? Command = null, string? OperationId = null, string? IncidentRef = null);

/// <summary>
/// <c>POST /api/integrations/webhooks</c> (cad, admin): subscribe a URL to some of BodyCam's events.
/// The secret signs every delivery (Standard Webhooks); without one, a new one is made and shown in
/// this answer only.
/// </summary>
public static partial class SubscribeWebhook
{
    public const int MaxPerOwner = 20;

    public static RouteHandlerBuilder MapSubscribeWebhook(this RouteGroupBuilder webhooks) =>
        webhooks.MapPost("/", HandleAsync)
            .RequireRoles(Roles.Cad, Roles.Admin)
            .WithName("SubscribeWebhook")
            .WithSummary("Subscribe a URL to BodyCam events, delivered as signed CloudEvents.");

    private static async Task<Results<Created<WebhookView>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        SubscribeRequest request, HttpContext http, IDocumentSession session, TimeProvider time, WebhookTargets targets, WebhookSecrets secrets,
        CancellationToken cancellationToken)
    {
        var errors = Validate(request, targets);
        if (errors.Count == 0 && await targets.RefuseResolvedAsync(new Uri(request.Url!), cancellationToken) is { } inside)
        {
            errors["url"] = [inside];
        }

        if (errors.Count > 0)
        {
            return Problem.Invalid(errors);
        }

        var owner = http.User.ActorId();
        var existing = await session.Query<WebhookSubscription>().CountAsync(s => s.OwnerId == owner && s.Active, cancellationToken);
        if (existing >= MaxPerOwner)
        {
            return Problem.Conflict($"A client has at most {MaxPerOwner} subscriptions; remove one first.");
        }

        var secret = request.Secret ?? NewSecret();
        var subscription = new WebhookSubscription(
            $"wh-{Guid.CreateVersion7():N}"[..19], owner, request.Url!, request.Types ?? [], request.Filters?.Command, request.Filters?.OperationId,
            request.Filters?.IncidentRef, secrets.Protect(secret), time.GetUtcNow());
        session.Store(subscription);
        session.Events.StartStream(WebhookSubscription.StreamKey(subscription.Id), new WebhookSubscribed(
            subscription.Id, owner, subscription.Url, subscription.Types, subscription.Command, subscription.OperationId, subscription.IncidentRef,
            owner, subscription.CreatedAt, http.CorrelationId()));
        await session.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/integrations/webhooks/{subscription.Id}",
            WebhookView.Of(subscription, secret: request.Secret is null ? secret : null));
    }

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static Dictionary<string, string[]> Validate(SubscribeRequest request, WebhookTargets targets)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || request.Url!.Length > 2000)
        {
            errors["url"] = ["url is an absolute http or https URL, at most 2000 characters."];
        }
        else if (!string.IsNullOrEmpty(url.UserInfo))
        {
            errors["url"] = ["Put no credentials in the URL; deliveries are signed with the secret instead."];
        }
        else if (targets.RefuseUrl(url) is { } refused)
        {
            errors["url"] = [refused];
        }

        if (request.Types is null || request.Types.Count == 0)
        {
            errors["types"] = [$"Name the event types wanted, from: {string.Join(", ", EventTypes.All.Order())}."];
        }
        else if (request.Types.FirstOrDefault(t => !EventTypes.All.Contains(t)) is { } unknown)
        {
            errors["types"] = [$"'{unknown}' is not an event type. Known: {string.Join(", ", EventTypes.All.Order())}."];
        }

        if (request.Filters?.Command is { } command && !Token().IsMatch(command))
        {
            errors["filters.command"] = ["A command is 1 to 64 letters, digits, '/', '-' or '_'."];
        }

        if (request.Filters?.OperationId is { } operation && !Token().IsMatch(operation))
        {
            errors["filters.operationId"] = ["An operation id is 1 to 64 letters, digits, '/', '-' or '_'."];
        }

        if (request.Filters?.IncidentRef is { } incident && !Token().IsMatch(incident))
        {
            errors["filters.incidentRef"] = ["An incident reference is 1 to 64 letters, digits, '/', '-' or '_'."];
        }

        if (request.Secret is { } secret && !IsSecret(secret))
        {
            errors["secret"] = ["A secret is 'whsec_' and the base64 of 24 to 64 random bytes (Standard Webhooks); leave it out to get one."];
        }

        return errors;
    }

    private static bool IsSecret(string secret)
    {
        if (!secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[96];
        return Convert.TryFromBase64String(secret["whsec_".Length..], bytes, out var length) && length is >= 24 and <= 64;
    }

    [GeneratedRegex("^[A-Za-z0-9/_-]{1,64}$", RegexOptions.CultureInvariant)]
    internal static partial Regex Token();
}
