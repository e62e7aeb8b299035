using System.Security.Cryptography;

namespace BodyCam.Launcher;

/// <summary>
/// The passwords of the embedded system's database roles and broker users, in a file only its
/// owner reads (<c>PG_PASSWORD_name=…</c>, <c>RABBIT_PASSWORD_name=…</c> lines, which the shell
/// script sources to create the roles and users). A role or user added to the definition since the
/// file was made gets its password here; existing ones are never changed.
/// </summary>
public sealed class Secrets
{
    private readonly Dictionary<string, string> _values;

    private Secrets(Dictionary<string, string> values) => _values = values;

    public string Postgres(string role) => _values[$"PG_PASSWORD_{role}"];

    public string RabbitMq(string user) => _values[$"RABBIT_PASSWORD_{user}"];

    public static Secrets LoadOrCreate(string file)
    {
        var values = new Dictionary<string, string>();
        var lines = File.Exists(file) ? File.ReadAllLines(file).ToList() : [];
        foreach (var line in lines)
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        var wanted = SystemDefinition.DatabaseRoles.Select(r => $"PG_PASSWORD_{r}").Concat(SystemDefinition.BrokerUsers.Select(u => $"RABBIT_PASSWORD_{u}"));
        var added = false;
        foreach (var name in wanted.Where(n => !values.ContainsKey(n)))
        {
            values[name] = NewPassword();
            lines.Add($"{name}={values[name]}");
            added = true;
        }

        if (added)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            WriteOwnerOnly(file, lines);
        }

        return new Secrets(values);
    }

    /// <summary>
    /// Replaces <paramref name="file"/> with <paramref name="lines"/> in a file created readable by its
    /// owner only before a password is written into it, then moved into place whole.
    /// </summary>
    public static void WriteOwnerOnly(string file, IEnumerable<string> lines)
    {
        var next = file + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        File.Delete(next);
        using (var writer = new StreamWriter(next, options))
        {
            foreach (var line in lines)
            {
                writer.WriteLine(line);
            }
        }

        File.Move(next, file, overwrite: true);
    }

    /// <summary>24 characters from [A-Za-z0-9]: safe in a connection string, a URL and a shell line.</summary>
    private static string NewPassword() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24);
}
