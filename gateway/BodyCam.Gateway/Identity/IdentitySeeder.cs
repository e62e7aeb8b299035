using BodyCam.ServiceDefaults;
using System.Text.Json;
using BodyCam.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace BodyCam.Gateway.Identity;

/// <summary>
/// Creates the identity schema's tables when they are missing, and the clients BodyCam itself ships:
/// the console, and in the embedded default the demo CAD client.
/// </summary>
public sealed class IdentitySeeder(IServiceProvider services, DemoUsers demo, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IdentityStore>();
        // The gateways of a cluster start together: one at a time makes the tables and seeds the
        // clients (a session lock on this scope's connection, which the managers below share).
        // Asked again every half second rather than waited for in one statement: another gateway's
        // seeding may outlast a command's timeout when a cluster's processes all start on busy cores.
        await store.Database.OpenConnectionAsync(cancellationToken);
        while (!await store.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({SeedingLock}) AS \"Value\"").SingleAsync(cancellationToken))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        try
        {
            await SeedAsync(store, scope.ServiceProvider, cancellationToken);
        }
        finally
        {
            await store.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({SeedingLock})", CancellationToken.None);
            await store.Database.CloseConnectionAsync();
        }
    }

    private static readonly long SeedingLock = Elections.LockKey("gateway:identity-seeding");

    private async Task SeedAsync(IdentityStore store, IServiceProvider provider, CancellationToken cancellationToken)
    {
        await CreateTablesAsync(store, cancellationToken);

        var applications = provider.GetRequiredService<IOpenIddictApplicationManager>();
        var console = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientProperties.Console,
            DisplayName = "BodyCam console",
            ClientType = ClientTypes.Public,
            Permissions =
            {
                Permissions.Endpoints.Token, Permissions.Endpoints.Authorization,
                Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile, Permissions.Scopes.Roles,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
            // The console is served by this gateway and comes back to itself with the code.
            RedirectUris = { ConsoleRedirect(configuration) },
        };
        if (demo.Enabled)
        {
            console.Permissions.Add(Permissions.GrantTypes.Password);
        }

        await UpsertAsync(applications, console, cancellationToken);

        if (demo.Enabled)
        {
            var cad = new OpenIddictApplicationDescriptor
            {
                ClientId = ClientProperties.DemoCad,
                ClientSecret = configuration["Identity:DemoCadSecret"] is { Length: > 0 } secret ? secret : "demo",
                DisplayName = "Demo CAD system",
                ClientType = ClientTypes.Confidential,
                Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
                Properties = { [ClientProperties.Role] = JsonSerializer.SerializeToElement(Roles.Cad) },
            };
            await UpsertAsync(applications, cad, cancellationToken);
        }
        else if (await applications.FindByClientIdAsync(ClientProperties.DemoCad, cancellationToken) is { } leftOver)
        {
            // A deployment that once ran the demo keeps no demo client with its well-known secret.
            await applications.DeleteAsync(leftOver, cancellationToken);
        }
    }

    public static Uri ConsoleRedirect(IConfiguration configuration) =>
        new(new Uri(configuration["Identity:Issuer"] ?? configuration["Identity:Authority"]
            ?? throw new InvalidOperationException("Identity:Issuer is not set.")), "console/");

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task UpsertAsync(IOpenIddictApplicationManager applications, OpenIddictApplicationDescriptor descriptor, CancellationToken cancellationToken)
    {
        var existing = await applications.FindByClientIdAsync(descriptor.ClientId!, cancellationToken);
        if (existing is null)
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
        else
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
    }

    private static async Task CreateTablesAsync(IdentityStore store, CancellationToken cancellationToken)
    {
        // EnsureCreated would see other tables in the same database (and Marten's in this schema) and do nothing.
        // The schema is usually made beforehand (./bodycam up gives it to this service's own role,
        // which may not create schemas): create it only where it is missing.
        var schemas = await store.Database
            .SqlQueryRaw<int>($"SELECT count(*)::int AS \"Value\" FROM information_schema.schemata WHERE schema_name = '{IdentityStore.Schema}'")
            .SingleAsync(cancellationToken);
        if (schemas == 0)
        {
            await store.Database.ExecuteSqlRawAsync($"CREATE SCHEMA {IdentityStore.Schema}", cancellationToken);
        }

        var tables = await store.Database
            .SqlQueryRaw<int>($"SELECT count(*)::int AS \"Value\" FROM information_schema.tables WHERE table_schema = '{IdentityStore.Schema}' AND table_name = 'OpenIddictApplications'")
            .SingleAsync(cancellationToken);
        if (tables == 0)
        {
            await store.GetService<IRelationalDatabaseCreator>().CreateTablesAsync(cancellationToken);
        }
    }
}
