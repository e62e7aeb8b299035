using System.Security.Cryptography;
using System.Text;
using BodyCam.ServiceDefaults.Security;

namespace BodyCam.Gateway.Identity;

public sealed record DemoUser(string Username, string Role, string DisplayName, string? Command = null, string? OfficerId = null);

/// <summary>
/// The people the embedded default signs in, one or more for each role. A real force points the
/// Authority at its own identity provider and seeds none of these.
/// </summary>
public sealed class DemoUsers(IConfiguration configuration)
{
    public static readonly IReadOnlyList<DemoUser> All =
    [
        new("admin", Roles.Admin, "Demo Admin"),
        new("control1", Roles.ControlRoom, "Control Room Operator 1"),
        new("supervisor1", Roles.Supervisor, "Sergeant Supervisor 1", "B", "supervisor1"),
        new("officer1", Roles.Officer, "PC Officer 1", "B", "officer1"),
        new("officer2", Roles.Officer, "PC Officer 2", "B", "officer2"),
        new("officer3", Roles.Officer, "PC Officer 3", "C", "officer3"),
        new("officer4", Roles.Officer, "PC Officer 4", "C", "officer4"),
        new("compliance1", Roles.Compliance, "Compliance Officer 1"),
    ];

    public bool Enabled => configuration.GetValue("Identity:SeedDemo", false);

    private byte[] Password => Encoding.UTF8.GetBytes(configuration["Identity:DemoPassword"] is { Length: > 0 } p ? p : "demo");

    /// <summary>The demo person with this username, while demo sign-in is enabled.</summary>
    public DemoUser? Find(string? username) =>
        Enabled ? All.FirstOrDefault(u => string.Equals(u.Username, username, StringComparison.Ordinal)) : null;

    public DemoUser? SignIn(string? username, string? password)
    {
        if (!Enabled || username is null || password is null)
        {
            return null;
        }

        var user = All.FirstOrDefault(u => string.Equals(u.Username, username, StringComparison.Ordinal));
        var matches = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Password);
        return user is not null && matches ? user : null;
    }
}
