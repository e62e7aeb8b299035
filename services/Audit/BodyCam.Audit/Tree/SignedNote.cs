using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace BodyCam.Audit.Tree;

/// <summary>
/// C2SP <c>signed-note</c>, <c>tlog-checkpoint</c> and <c>tlog-cosignature</c> (Ed25519): the text a
/// log signs, its signature lines, and the timestamped cosignatures witnesses add. This file is also
/// compiled into the witness (<c>infra/witness</c>) and the offline verifier, so it depends on
/// nothing of audit's.
/// </summary>
public static class SignedNote
{
    public const byte Ed25519Type = 0x01;
    public const byte CosignatureType = 0x04;
    private const string Dash = "\u2014 ";

    /// <summary>The checkpoint's note text: origin, size and base64 root, each ending in a newline.</summary>
    public static string CheckpointBody(string origin, long size, ReadOnlySpan<byte> root) =>
        $"{origin}\n{size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(root)}\n";

    /// <summary>A key's 4-byte id: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian.</summary>
    public static uint KeyId(string name, byte type, ReadOnlySpan<byte> publicKey)
    {
        var input = new byte[Encoding.UTF8.GetByteCount(name) + 2 + publicKey.Length];
        var at = Encoding.UTF8.GetBytes(name, input);
        input[at] = 0x0A;
        input[at + 1] = type;
        publicKey.CopyTo(input.AsSpan(at + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    /// <summary>A verifier key as signed-note writes it: <c>name+hex key id+base64(type ‖ public key)</c>.</summary>
    public static string VerifierKey(string name, byte type, ReadOnlySpan<byte> publicKey) =>
        $"{name}+{KeyId(name, type, publicKey):x8}+{Convert.ToBase64String([type, .. publicKey])}";

    /// <summary>Reads a verifier key; false unless it is well formed, Ed25519 or cosignature type, and its id matches.</summary>
    public static bool TryParseVerifierKey(string? text, out NoteKey key)
    {
        key = default;
        var parts = text?.Trim().Split('+', 3);
        if (parts is not { Length: 3 } || parts[0].Length == 0 || parts[1].Length != 8
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id))
        {
            return false;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return false;
        }

        if (blob.Length != 33 || blob[0] is not (Ed25519Type or CosignatureType) || KeyId(parts[0], blob[0], blob.AsSpan(1)) != id)
        {
            return false;
        }

        key = new NoteKey(parts[0], blob[0], blob[1..]);
        return true;
    }

    /// <summary>The log's signature line over <paramref name="body"/>.</summary>
    public static string Sign(string body, string name, Key key)
    {
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var signature = SignatureAlgorithm.Ed25519.Sign(key, Encoding.UTF8.GetBytes(body));
        return Line(name, KeyId(name, Ed25519Type, publicKey), signature);
    }

    /// <summary>A witness's timestamped cosignature line over the checkpoint <paramref name="body"/> (tlog-cosignature, Ed25519).</summary>
    public static string Cosign(string body, string name, Key key, DateTimeOffset at)
    {
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var timestamp = (ulong)at.ToUnixTimeSeconds();
        var signature = SignatureAlgorithm.Ed25519.Sign(key, CosignedMessage(body, timestamp));
        var timed = new byte[8 + signature.Length];
        BinaryPrimitives.WriteUInt64BigEndian(timed, timestamp);
        signature.CopyTo(timed, 8);
        return Line(name, KeyId(name, CosignatureType, publicKey), timed);
    }

    /// <summary>
    /// Splits a signed note into its text (with the final newline) and signature lines. False when it
    /// is not one: no blank line before the signatures, a control character, a malformed line, or
    /// more than <paramref name="maxSignatures"/> signatures.
    /// </summary>
    public static bool TryParse(string? note, out string body, out List<NoteSignature> signatures, int maxSignatures = 64)
    {
        (body, signatures) = ("", []);
        if (string.IsNullOrEmpty(note) || note.Length > 64 * 1024 || !note.EndsWith('\n') || note.Any(c => c < 0x20 && c != '\n'))
        {
            return false;
        }

        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || split + 2 >= note.Length)
        {
            return false;
        }

        body = note[..(split + 1)];
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            if (!line.StartsWith(Dash, StringComparison.Ordinal) || signatures.Count >= maxSignatures)
            {
                return false;
            }

            var parts = line[Dash.Length..].Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0)
            {
                return false;
            }

            byte[] raw;
            try
            {
                raw = Convert.FromBase64String(parts[1]);
            }
            catch (FormatException)
            {
                return false;
            }

            if (raw.Length < 5)
            {
                return false;
            }

            signatures.Add(new NoteSignature(parts[0], BinaryPrimitives.ReadUInt32BigEndian(raw), raw[4..], line + "\n"));
        }

        return signatures.Count > 0;
    }

    /// <summary>Whether <paramref name="signature"/> is a valid signature by <paramref name="key"/> (a log's or a witness's) over <paramref name="body"/>; false when it is by another key.</summary>
    public static bool Verifies(string body, NoteSignature signature, NoteKey key)
    {
        if (signature.Name != key.Name || signature.KeyId != KeyId(key.Name, key.Type, key.PublicKey))
        {
            return false;
        }

        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, key.PublicKey, KeyBlobFormat.RawPublicKey);
        if (key.Type == Ed25519Type)
        {
            return signature.Bytes.Length == 64 && SignatureAlgorithm.Ed25519.Verify(publicKey, Encoding.UTF8.GetBytes(body), signature.Bytes);
        }

        if (signature.Bytes.Length != 72)
        {
            return false;
        }

        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature.Bytes);
        return timestamp <= long.MaxValue && SignatureAlgorithm.Ed25519.Verify(publicKey, CosignedMessage(body, timestamp), signature.Bytes.AsSpan(8));
    }

    /// <summary>Reads a checkpoint body: origin, size, root. False unless exactly that (no extension lines are used here).</summary>
    public static bool TryReadCheckpoint(string body, out string origin, out long size, out byte[] root)
    {
        (origin, size, root) = ("", 0, []);
        var lines = body.Split('\n');
        if (lines.Length != 4 || lines[3].Length != 0 || lines[0].Length == 0
            || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out size)
            || (lines[1].Length > 1 && lines[1][0] == '0'))
        {
            return false;
        }

        origin = lines[0];
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            return false;
        }

        return root.Length == 32;
    }

    private static byte[] CosignedMessage(string body, ulong timestamp) =>
        Encoding.UTF8.GetBytes($"cosignature/v1\ntime {timestamp.ToString(CultureInfo.InvariantCulture)}\n{body}");

    private static string Line(string name, uint keyId, ReadOnlySpan<byte> signature)
    {
        var raw = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(raw, keyId);
        signature.CopyTo(raw.AsSpan(4));
        return $"{Dash}{name} {Convert.ToBase64String(raw)}\n";
    }
}

/// <summary>A public key a note may be signed with: the log's (type 0x01) or a witness's (0x04).</summary>
public readonly record struct NoteKey(string Name, byte Type, byte[] PublicKey);

/// <summary>One signature line of a note: key name, key id, the signature bytes after the id, and the line as written.</summary>
public sealed record NoteSignature(string Name, uint KeyId, byte[] Bytes, string Line);

/// <summary>
/// An Ed25519 key with its name, as a log or a witness signs with it. The key file holds the 32-byte
/// private key in base64, readable by its owner only; a missing file is created with a new key.
/// </summary>
public sealed class NoteSigner : IDisposable
{
    private NoteSigner(string name, Key key)
    {
        Name = name;
        Key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public string Name { get; }
    public Key Key { get; }
    public byte[] PublicKey { get; }

    /// <summary>The key as verifiers configure it, for a signature of <paramref name="type"/> (0x01 a log's, 0x04 a witness's cosignature).</summary>
    public NoteKey Verifier(byte type) => new(Name, type, PublicKey);

    public static NoteSigner Load(string? path, string name)
    {
        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        if (string.IsNullOrWhiteSpace(path))
        {
            return new NoteSigner(name, Key.Create(SignatureAlgorithm.Ed25519, parameters));
        }

        if (File.Exists(path))
        {
            var seed = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return new NoteSigner(name, Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, parameters));
        }

        var key = Key.Create(SignatureAlgorithm.Ed25519, parameters);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, Convert.ToBase64String(key.Export(KeyBlobFormat.RawPrivateKey)) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return new NoteSigner(name, key);
    }

    public void Dispose() => Key.Dispose();
}
