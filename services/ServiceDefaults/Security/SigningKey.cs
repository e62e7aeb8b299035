using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace BodyCam.ServiceDefaults.Security;

/// <summary>
/// An RSA key that signs tokens (the gateway's access tokens, authorisation's stream tokens). It is kept in a PEM file so tokens stay valid across
/// restarts; the file is created (readable by its owner only) the first time. Without a path the key
/// lives in memory only, which suits nothing but a throwaway run.
/// </summary>
public static class SigningKey
{
    public static RsaSecurityKey Load(string? path, ILogger log)
    {
        var rsa = RSA.Create(2048);
        if (string.IsNullOrWhiteSpace(path))
        {
            log.LogWarning("No signing key file is set: tokens are signed with a key that dies with this process");
        }
        else if (File.Exists(path))
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            // Instances of one service starting together (a cluster's nodes) must end up with one key:
            // each writes its own beside the file and moves it into place only if none is there yet
            // (a move that never overwrites); the ones that lose read the winner's.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var mine = $"{path}.{Guid.NewGuid():N}.new";
            File.WriteAllText(mine, rsa.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(mine, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            try
            {
                File.Move(mine, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(mine);
                rsa.ImportFromPem(File.ReadAllText(path));
            }
        }

        // The key id is derived from the public key, so it names the same key after every restart.
        var modulus = rsa.ExportParameters(false).Modulus!;
        return new RsaSecurityKey(rsa) { KeyId = Base64UrlEncoder.Encode(SHA256.HashData(modulus))[..16] };
    }
}
