using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace BodyCam.ServiceDefaults;

/// <summary>
/// What a generated client needs to call a route: each service's OpenAPI document declares the
/// bearer token (issued by the gateway's OpenID Connect server) as its security scheme, and each
/// operation says whether it needs one, which roles it admits (<c>x-bodycam-roles</c>, also in its
/// description) and the problem answers a refused caller gets.
/// </summary>
public static class OpenApiSecurity
{
    public const string Bearer = "bearer";
    public const string OpenIdConnect = "oidc";
    public const string RolesExtension = "x-bodycam-roles";

    public static OpenApiOptions AddBodyCamSecurity(this OpenApiOptions options, string? issuer)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An access token from the gateway's OpenID Connect server (audience 'bodycam'); its 'role' claims decide what it may do.",
            };
            if (issuer is { Length: > 0 })
            {
                document.Components.SecuritySchemes[OpenIdConnect] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.OpenIdConnect,
                    OpenIdConnectUrl = new Uri(new Uri(issuer.EndsWith('/') ? issuer : issuer + "/"), ".well-known/openid-configuration"),
                    Description = "Where the tokens come from: the console signs in with the authorization code flow, CAD with client credentials.",
                };
            }

            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAllowAnonymous>().Any())
            {
                // Open to anyone at the door (health, discovery, a stream token's own check): the route says what else it wants.
                operation.Security = [];
                return Task.CompletedTask;
            }

            var roles = metadata.OfType<AuthorizationPolicy>()
                .SelectMany(p => p.Requirements.OfType<RolesAuthorizationRequirement>())
                .SelectMany(r => r.AllowedRoles)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [] },
            ];
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[RolesExtension] = new JsonNodeExtension(new JsonArray([.. roles.Select(r => (JsonNode)JsonValue.Create(r))]));
            var who = roles.Count == 0 ? "Any signed-in caller." : $"Roles: {string.Join(", ", roles)}.";
            operation.Description = string.IsNullOrEmpty(operation.Description) ? who : $"{operation.Description}\n\n{who}";

            operation.Responses ??= new OpenApiResponses();
            operation.Responses.TryAdd("401", Problem("No valid bearer token (none, expired, forged, or for another audience)."));
            operation.Responses.TryAdd("403", Problem(roles.Count == 0
                ? "The token's holder may not do this; the refusal is on the audit record."
                : $"The token has none of the roles {string.Join(", ", roles)}, or its holder may not act on this subject; the refusal is on the audit record."));
            return Task.CompletedTask;
        });
        return options;
    }

    private static OpenApiResponse Problem(string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "RFC 9457 problem details: a stable type, a title, the status and what to do.",
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                        ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                },
            },
        },
    };
}
