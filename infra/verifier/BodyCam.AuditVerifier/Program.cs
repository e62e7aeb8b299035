using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.Audit.Chain.Checkpoints;
using BodyCam.Audit.Tree;
using BodyCam.AuditVerifier;

// bodycam-audit-verify <export.json|export.csv> [--key public.pem] [--log-key VKEY] [--witness-key VKEY]... [--quorum N] [--checkpoint FILE]
// bodycam-audit-verify entry --entry ENTRY.json --proof PROOF.json --checkpoint FILE --log-key VKEY [--witness-key VKEY]... [--quorum N]
// Checks an audit export on its own: every entry's hash recomputed, every link to the entry before
// followed, (JSON, or CSV with --key) the signed chain checkpoints in range checked with audit's RSA
// key, and (JSON) the entries against the log's Merkle tree: every signed tree checkpoint inside the
// export, consistency with the newest, the log's Ed25519 signature and a quorum of the witnesses'
// cosignatures, and a checkpoint you held before (--checkpoint) being the same tree. The second form
// checks one entry with its inclusion proof and a checkpoint, as /api/audit/events and
// /api/audit/proofs/inclusion return them. Exit code 0 when intact, 1 when not (the first broken seq
// is named), 2 on a usage error.
const string Usage = "usage: bodycam-audit-verify <export.json|export.csv> [--key public.pem] [--log-key VKEY]... [--witness-key VKEY]... [--quorum N] [--checkpoint FILE]\n" +
    "       bodycam-audit-verify entry --entry ENTRY.json --proof PROOF.json --checkpoint FILE --log-key VKEY [--witness-key VKEY]... [--quorum N]";
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine(Usage);
    return 2;
}

string? Option(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
var witnessKeys = new List<NoteKey>();
for (var i = 0; i + 1 < args.Length; i++)
{
    if (args[i] == "--witness-key")
    {
        if (!SignedNote.TryParseVerifierKey(args[i + 1], out var witnessKey) || witnessKey.Type != SignedNote.CosignatureType)
        {
            Console.Error.WriteLine($"--witness-key {args[i + 1]} is not a witness's cosignature key (name+id+base64).");
            return 2;
        }

        witnessKeys.Add(witnessKey);
    }
}

// Repeatable: after a rotation of the log's key, the former keys too.
var logKeys = new List<NoteKey>();
for (var i = 0; i + 1 < args.Length; i++)
{
    if (args[i] == "--log-key")
    {
        if (!SignedNote.TryParseVerifierKey(args[i + 1], out var parsed) || parsed.Type != SignedNote.Ed25519Type)
        {
            Console.Error.WriteLine($"--log-key {args[i + 1]} is not a log's Ed25519 key (name+id+base64).");
            return 2;
        }

        logKeys.Add(parsed);
    }
}

var quorum = Option("--quorum") is { } q && int.TryParse(q, out var n) && n >= 0 ? Math.Min(n, witnessKeys.Count) : witnessKeys.Count;
var checkpointFile = Option("--checkpoint");
if (checkpointFile is not null && !File.Exists(checkpointFile))
{
    Console.Error.WriteLine($"No such file: {checkpointFile}");
    return 2;
}

var trust = new Trust(logKeys, witnessKeys, quorum, checkpointFile is null ? null : File.ReadAllText(checkpointFile));
if (args[0] == "entry")
{
    var (entryFile, proofFile) = (Option("--entry"), Option("--proof"));
    if (entryFile is null || proofFile is null || checkpointFile is null || !File.Exists(entryFile) || !File.Exists(proofFile))
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }

    try
    {
        using var entryJson = JsonDocument.Parse(File.ReadAllBytes(entryFile));
        using var proofJson = JsonDocument.Parse(File.ReadAllBytes(proofFile));
        var (ok, report) = TreeCheck.OneEntry(entryJson.RootElement, proofJson.RootElement, trust.CheckpointNote!, trust);
        Console.WriteLine(ok ? report : $"NOT VERIFIED: {report}.");
        return ok ? 0 : 1;
    }
    catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
    {
        Console.WriteLine($"NOT VERIFIED: the entry or proof cannot be read ({e.Message})");
        return 1;
    }
}

var file = args[0];
var keyFile = Option("--key");
if (!File.Exists(file))
{
    Console.Error.WriteLine($"No such file: {file}");
    return 2;
}

Export export;
try
{
    export = file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? Export.FromCsv(file) : Export.FromJson(file);
}
catch (Exception e) when (e is JsonException or CsvHelper.CsvHelperException or FormatException or KeyNotFoundException or InvalidOperationException)
{
    Console.WriteLine($"NOT VERIFIED: the file cannot be read as an audit export ({e.Message})");
    return 1;
}

if (export.Entries.Count == 0)
{
    Console.WriteLine("NOT VERIFIED: the export holds no entries.");
    return 1;
}

string? previous = null;
long expected = export.Entries[0].Seq;
foreach (var e in export.Entries)
{
    var broken = e.Seq != expected ? $"a gap: seq {expected} expected"
        : previous is not null && e.PrevHash != previous ? "its prevHash is not the hash of the entry before"
        : e.Seq == 1 && e.PrevHash != AuditHash.Genesis ? "the first entry does not start from the genesis hash"
        : AuditHash.Compute(e.Seq, e.PrevHash, e.At, e.Type, e.MessageId, e.ActorId, e.Subject, e.Data) != e.Hash ? "its content does not match its hash"
        : null;
    if (broken is not null)
    {
        Console.WriteLine($"NOT VERIFIED: broken at seq {e.Seq}: {broken}.");
        return 1;
    }

    previous = e.Hash;
    expected++;
}

Console.WriteLine($"Chain intact: {export.Entries.Count} entries, seq {export.Entries[0].Seq} to {export.Entries[^1].Seq}, head {previous}.");

if (export.Tree is { } tree)
{
    try
    {
        var (ok, report) = TreeCheck.Run(tree, export.Entries, trust);
        if (!ok)
        {
            Console.WriteLine($"NOT VERIFIED: {report}.");
            return 1;
        }

        Console.WriteLine(report);
    }
    catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or InvalidDataException)
    {
        Console.WriteLine($"NOT VERIFIED: {e.Message}.");
        return 1;
    }
}
else if (trust.CheckpointNote is not null || witnessKeys.Count > 0)
{
    Console.WriteLine("NOT VERIFIED: the export carries no tree proof (a CSV export, or one made before the tree), so the checkpoint and witness keys given cannot be checked.");
    return 1;
}

var pem = keyFile is not null ? File.ReadAllText(keyFile) : export.PublicKeyPem;
if (pem is null || export.Checkpoints.Count == 0)
{
    Console.WriteLine(pem is null ? "Checkpoints not checked: no public key (give --key public.pem)." : "No signed checkpoint falls within the export.");
    return 0;
}

using var rsa = RSA.Create();
rsa.ImportFromPem(pem);
var bySeq = export.Entries.ToDictionary(e => e.Seq, e => e.Hash);
foreach (var checkpoint in export.Checkpoints)
{
    if (!checkpoint.IsSignedBy(rsa))
    {
        Console.WriteLine($"NOT VERIFIED: the checkpoint at seq {checkpoint.Id} is not signed by this key.");
        return 1;
    }

    if (bySeq.TryGetValue(checkpoint.Id, out var hash) && hash != checkpoint.Hash)
    {
        Console.WriteLine($"NOT VERIFIED: broken at seq {checkpoint.Id}: the signed checkpoint says {checkpoint.Hash}, the export {hash}.");
        return 1;
    }
}

Console.WriteLine($"Checkpoints verified: {export.Checkpoints.Count} signed checkpoint(s) match the export (key {export.KeyId ?? "given"}).");
return 0;

internal sealed record Entry(long Seq, DateTimeOffset At, string Type, Guid MessageId, string ActorId, string Subject, string Data, string PrevHash, string Hash);

internal sealed record Export(IReadOnlyList<Entry> Entries, IReadOnlyList<Checkpoint> Checkpoints, string? PublicKeyPem, string? KeyId, JsonElement? Tree = null)
{
    public static Export FromJson(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(file));
        var root = document.RootElement;
        var entries = root.GetProperty("entries").EnumerateArray().Select(e => new Entry(
            e.GetProperty("seq").GetInt64(), Time(e.GetProperty("at").GetString()!), e.GetProperty("type").GetString()!,
            Guid.Parse(e.GetProperty("messageId").GetString()!), e.GetProperty("actorId").GetString()!, e.GetProperty("subject").GetString()!,
            e.GetProperty("data").GetString()!, e.GetProperty("prevHash").GetString()!, e.GetProperty("hash").GetString()!)).ToList();
        var checkpoints = root.TryGetProperty("checkpoints", out var list)
            ? list.EnumerateArray().Select(c => new Checkpoint(c.GetProperty("seq").GetInt64(), c.GetProperty("hash").GetString()!,
                Time(c.GetProperty("at").GetString()!), c.GetProperty("signature").GetString()!, c.GetProperty("keyId").GetString()!)).ToList()
            : [];
        return new Export(entries, checkpoints,
            root.TryGetProperty("publicKeyPem", out var pem) ? pem.GetString() : null,
            root.TryGetProperty("keyId", out var keyId) ? keyId.GetString() : null,
            root.TryGetProperty("tree", out var tree) && tree.ValueKind == JsonValueKind.Object ? tree.Clone() : null);
    }

    public static Export FromCsv(string file)
    {
        using var reader = new StreamReader(file);
        using var csv = new CsvHelper.CsvReader(reader, CultureInfo.InvariantCulture);
        csv.Read();
        csv.ReadHeader();
        var entries = new List<Entry>();
        while (csv.Read())
        {
            entries.Add(new Entry(long.Parse(csv.GetField("seq")!, CultureInfo.InvariantCulture), Time(csv.GetField("at")!), csv.GetField("type")!,
                Guid.Parse(csv.GetField("messageId")!), csv.GetField("actorId")!, csv.GetField("subject")!, csv.GetField("data")!,
                csv.GetField("prevHash")!, csv.GetField("hash")!));
        }

        return new Export(entries, [], null, null);
    }

    private static DateTimeOffset Time(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
