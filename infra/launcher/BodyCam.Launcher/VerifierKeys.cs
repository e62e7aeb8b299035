using System.Diagnostics;

namespace BodyCam.Launcher;

/// <summary>
/// The verifier key (C2SP signed-note: name+id+base64) of an Ed25519 key file, made by the witness
/// program (with the key, if the file does not exist yet) and kept beside it as <c>FILE.vkey</c>.
/// </summary>
public static class VerifierKeys
{
    public static async Task<string> GetAsync(string root, string configuration, string keyFile, string name, string type)
    {
        var kept = keyFile + ".vkey";
        if (File.Exists(kept) && new FileInfo(kept).Length > 0)
        {
            return (await File.ReadAllTextAsync(kept)).Trim();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyFile))!);
        var witness = SystemDefinition.Process("witness").Binary(root, configuration);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { witness, "vkey", "--key-file", keyFile, "--name", name, "--type", type })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Could not make the verifier key of {keyFile}: {await output}{await error}");
        }

        var key = (await output).Trim();
        await File.WriteAllTextAsync(kept, key + "\n");
        return key;
    }
}
