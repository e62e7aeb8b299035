using System.Text.Json;
using BodyCam.Audit.Chain;
using BodyCam.Audit.Tree;

namespace BodyCam.AuditVerifier;

/// <summary>What the command line says to trust: the log's key, the witnesses' keys and how many must cosign, and a checkpoint held from before.</summary>
internal sealed record Trust(IReadOnlyList<NoteKey> LogKeys, IReadOnlyList<NoteKey> WitnessKeys, int Quorum, string? CheckpointNote);

/// <summary>
/// Checks an export's entries against the log's Merkle tree with nothing but the file and the keys:
/// the root recomputed from the subtree hashes before the first entry and every entry's leaf must be
/// each signed checkpoint's root at its size, must extend to the newest checkpoint by the RFC 9162
/// consistency proof, and that checkpoint must carry the log's signature and a quorum of witness
/// cosignatures. A checkpoint held from before (<c>--checkpoint</c>) must be the same tree.
/// </summary>
internal static class TreeCheck
{
    public static (bool Ok, string Report) Run(JsonElement tree, IReadOnlyList<Entry> entries, Trust trust)
    {
        var lines = new List<string>();
        IReadOnlyList<NoteKey> key = trust.LogKeys.Count > 0 ? trust.LogKeys
            : SignedNote.TryParseVerifierKey(tree.GetProperty("logKey").GetString(), out var k) ? [k] : [];
        if (key.Count == 0)
        {
            return (false, "the export names no log key, and none was given (--log-key)");
        }

        if (trust.LogKeys.Count == 0)
        {
            lines.Add("Log key taken from the export itself: give --log-key to check against the key you trust.");
        }

        if (!Checkpoint(tree.GetProperty("checkpoint").GetString(), key, out var newestSize, out var newestRoot, out var newestBody, out var newestSignatures, out var problem))
        {
            return (false, $"the export's checkpoint {problem}");
        }

        var cosigners = trust.WitnessKeys.Count(w => newestSignatures.Any(s => SignedNote.Verifies(newestBody, s, w)));
        if (cosigners < trust.Quorum)
        {
            return (false, $"the export's checkpoint (tree of {newestSize}) is cosigned by {cosigners} of the witnesses given, {trust.Quorum} needed");
        }

        var prefixSize = tree.GetProperty("prefixSize").GetInt64();
        if (prefixSize != entries[0].Seq - 1)
        {
            return (false, $"the tree's prefix covers {prefixSize} entries, but the export starts at seq {entries[0].Seq}");
        }

        CompactRange range;
        try
        {
            range = CompactRange.Of(prefixSize, [.. tree.GetProperty("prefix").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!))]);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return (false, $"the tree's prefix is not the subtrees before seq {entries[0].Seq}: {e.Message}");
        }

        var signed = new Dictionary<long, List<byte[]>>();
        foreach (var note in tree.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()))
        {
            if (!Checkpoint(note, key, out var size, out var root, out _, out _, out problem))
            {
                return (false, $"a checkpoint in the export {problem}");
            }

            (signed.TryGetValue(size, out var roots) ? roots : signed[size] = []).Add(root);
        }

        long heldSize = -1;
        byte[]? heldRoot = null;
        if (trust.CheckpointNote is { } held)
        {
            if (!Checkpoint(held, key, out heldSize, out heldRoot!, out _, out _, out problem))
            {
                return (false, $"the checkpoint given (--checkpoint) {problem}");
            }
        }

        var checkedRoots = 0;
        var heldMatched = false;
        if (heldSize == prefixSize && !range.Root().AsSpan().SequenceEqual(heldRoot))
        {
            return (false, $"the checkpoint given names another tree of {heldSize} entries than this export: the record was rewritten");
        }

        heldMatched |= heldSize == prefixSize;
        foreach (var e in entries)
        {
            range.Append(Convert.FromBase64String(AuditHash.LeafHash(e.Seq, e.PrevHash, e.At, e.Type, e.MessageId, e.ActorId, e.Subject, e.Data)));
            if (signed.TryGetValue(e.Seq, out var roots) || e.Seq == heldSize)
            {
                var root = range.Root();
                if (roots?.FirstOrDefault(r => !r.AsSpan().SequenceEqual(root)) is not null)
                {
                    return (false, $"broken at seq {e.Seq}: a checkpoint the log signed at this size names another tree than the entries make");
                }

                checkedRoots += roots?.Count ?? 0;
                if (e.Seq == heldSize)
                {
                    if (!root.AsSpan().SequenceEqual(heldRoot))
                    {
                        return (false, $"broken at or before seq {e.Seq}: the checkpoint given names another tree of {heldSize} entries than this export makes: the record was rewritten after it was signed");
                    }

                    heldMatched = true;
                }
            }
        }

        var last = entries[^1].Seq;
        var proof = tree.GetProperty("consistency").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList();
        if (!Merkle.VerifyConsistency(last, newestSize, range.Root(), newestRoot, proof))
        {
            return (false, $"the entries up to seq {last} are not a prefix of the signed tree of {newestSize} (the consistency proof fails)");
        }

        if (heldSize == newestSize)
        {
            heldMatched = heldRoot!.AsSpan().SequenceEqual(newestRoot) ? true
                : throw new InvalidDataException($"the checkpoint given names another tree of {heldSize} entries than the log signs now");
        }

        if (heldSize >= 0 && !heldMatched)
        {
            return (false, $"the checkpoint given (a tree of {heldSize}) is not within this export (entries {entries[0].Seq}-{last}, newest checkpoint {newestSize}): export a range that reaches it");
        }

        lines.Add($"Tree verified: entries {entries[0].Seq}-{last} are in the log's tree of {newestSize} (root {Convert.ToBase64String(newestRoot)}), " +
            $"{checkedRoots} signed checkpoint(s) inside the export match, {cosigners} witness cosignature(s) of {trust.WitnessKeys.Count} key(s) given" +
            (trust.CheckpointNote is null ? "." : $"; the checkpoint given (tree of {heldSize}) is the same tree."));
        return (true, string.Join('\n', lines));
    }

    /// <summary>Checks one entry alone: its leaf, its inclusion proof, a checkpoint signed by the log and cosigned by the quorum.</summary>
    public static (bool Ok, string Report) OneEntry(JsonElement entry, JsonElement proof, string note, Trust trust)
    {
        var key = trust.LogKeys;
        if (key.Count == 0)
        {
            return (false, "give the log's key (--log-key)");
        }

        if (!Checkpoint(note, key, out var size, out var root, out var body, out var signatures, out var problem))
        {
            return (false, $"the checkpoint {problem}");
        }

        var cosigners = trust.WitnessKeys.Count(w => signatures.Any(s => SignedNote.Verifies(body, s, w)));
        if (cosigners < trust.Quorum)
        {
            return (false, $"the checkpoint is cosigned by {cosigners} of the witnesses given, {trust.Quorum} needed");
        }

        var seq = entry.GetProperty("seq").GetInt64();
        var leaf = AuditHash.LeafHash(seq, entry.GetProperty("prevHash").GetString()!,
            DateTimeOffset.Parse(entry.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture), entry.GetProperty("type").GetString()!,
            Guid.Parse(entry.GetProperty("messageId").GetString()!), entry.GetProperty("actorId").GetString()!, entry.GetProperty("subject").GetString()!,
            entry.GetProperty("data").ValueKind == JsonValueKind.String ? entry.GetProperty("data").GetString()! : entry.GetProperty("data").GetRawText());
        if (proof.GetProperty("treeSize").GetInt64() != size || proof.GetProperty("seq").GetInt64() != seq)
        {
            return (false, $"the proof is for entry {proof.GetProperty("seq")} in a tree of {proof.GetProperty("treeSize")}, not entry {seq} in the checkpoint's tree of {size}");
        }

        var hashes = proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList();
        return Merkle.VerifyInclusion(seq - 1, size, Convert.FromBase64String(leaf), hashes, root)
            ? (true, $"Entry verified: seq {seq} is in the log's tree of {size}, signed by the log and cosigned by {cosigners} witness(es).")
            : (false, $"entry {seq} as given is not in the checkpoint's tree of {size}: its content was changed, or the proof is not its");
    }

    private static bool Checkpoint(string? note, IReadOnlyList<NoteKey> keys, out long size, out byte[] root, out string body, out List<NoteSignature> signatures, out string problem)
    {
        (size, root, problem) = (0, [], "");
        if (!SignedNote.TryParse(note, out body, out signatures) || !SignedNote.TryReadCheckpoint(body, out var origin, out size, out root))
        {
            problem = "is not a signed checkpoint";
            return false;
        }

        var (b, o) = (body, origin);
        if (!signatures.Any(s => keys.Any(k => k.Name == o && SignedNote.Verifies(b, s, k))))
        {
            problem = $"is not signed by the log's key ({string.Join(", ", keys.Select(k => k.Name).Distinct())})";
            return false;
        }

        return true;
    }
}
