using Microsoft.EntityFrameworkCore;

namespace BodyCam.Gateway.Identity;

/// <summary>OpenIddict's applications, authorisations and tokens, in the gateway's own <c>identity</c> schema.</summary>
public sealed class IdentityStore(DbContextOptions<IdentityStore> options) : DbContext(options)
{
    public const string Schema = "identity";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.UseOpenIddict();
        base.OnModelCreating(modelBuilder);
    }
}
