using System.Globalization;
using System.Text;
using BodyCam.Audit.Tree;

namespace BodyCam.Witness;

/// <summary>
/// <c>POST /add-checkpoint</c> (C2SP tlog-witness): an old size line, consistency proof lines, a blank
/// line, then the log's signed checkpoint. 404 for a log it does not witness, 403 without a valid
/// log signature, 400 for a malformed request, 409 with <c>text/x.tlog.size</c> when the old size is
/// not the one it last cosigned, 422 when the proof does not verify; otherwise it stores the new
/// checkpoint and answers with its timestamped cosignature line.
/// </summary>
public static class AddCheckpoint
{
    public const int MaxBody = 64 * 1024;
    private const int MaxProofLines = 63;

    public static async Task<IResult> HandleAsync(HttpRequest request, WitnessState state, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            using var reader = new StreamReader(request.Body, new UTF8Encoding(false, throwOnInvalidBytes: true));
            text = await reader.ReadToEndAsync(cancellationToken);
        }
        catch (DecoderFallbackException)
        {
            return Bad("The request is not UTF-8.");
        }

        if (!TryParse(text, out var old, out var proof, out var note, out var error))
        {
            return Bad(error);
        }

        if (!SignedNote.TryParse(note, out var body, out var signatures, maxSignatures: 32) || !SignedNote.TryReadCheckpoint(body, out var origin, out var size, out var root))
        {
            return Bad("The checkpoint is not a signed note of three lines (origin, size, base64 root).");
        }

        if (state.LogKey(origin) is not { } logKey)
        {
            return Results.Problem(statusCode: 404, title: "Unknown log", detail: $"This witness does not witness {origin}.");
        }

        if (!signatures.Any(s => SignedNote.Verifies(body, s, logKey)))
        {
            return Results.Problem(statusCode: 403, title: "Not signed by the log", detail: $"No signature on the checkpoint verifies with {origin}'s key.");
        }

        if (old > size)
        {
            return Bad($"The old size {old} is past the checkpoint's size {size}.");
        }

        return await state.UpdateAsync(origin, known =>
        {
            var knownSize = known?.Size ?? 0;
            if (old != knownSize)
            {
                return (Results.Text($"{knownSize.ToString(CultureInfo.InvariantCulture)}\n", "text/x.tlog.size", statusCode: 409), null);
            }

            if (old == size && old > 0 && known!.Root != Convert.ToBase64String(root))
            {
                state.Raise(origin, $"a checkpoint of the same size {size} with another root hash: the log was rewritten, or shows two different logs", text);
                return (Results.Problem(statusCode: 409, title: "Different root", detail: $"This witness cosigned a different tree of {size} entries."), null);
            }

            if (old == 0 && proof.Count != 0)
            {
                return (Bad("A first checkpoint (old 0) comes without a proof."), null);
            }

            if (old > 0 && old < size && !Merkle.VerifyConsistency(old, size, Convert.FromBase64String(known!.Root), root, proof))
            {
                state.Raise(origin, $"the tree of {size} entries is not consistent with the tree of {old} this witness cosigned: the log was rewritten", text);
                return (Results.Problem(statusCode: 422, title: "Inconsistent", detail: $"The proof does not show the tree of {old} is a prefix of the tree of {size}."), null);
            }

            var cosignature = state.Cosign(body, DateTimeOffset.UtcNow);
            return (Results.Text(cosignature, "text/plain; charset=utf-8"), new CosignedCheckpoint(origin, size, Convert.ToBase64String(root), note, DateTimeOffset.UtcNow));
        }, cancellationToken);
    }

    /// <summary>Splits the request into old size, proof hashes and the note; false with why when it is not that.</summary>
    private static bool TryParse(string text, out long old, out List<byte[]> proof, out string note, out string error)
    {
        (old, proof, note, error) = (0, [], "", "");
        var lines = text.Split('\n');
        if (lines.Length < 3 || !lines[0].StartsWith("old ", StringComparison.Ordinal)
            || !long.TryParse(lines[0][4..], NumberStyles.None, CultureInfo.InvariantCulture, out old) || (lines[0].Length > 5 && lines[0][4] == '0'))
        {
            error = "The first line must be 'old N', N the size last cosigned.";
            return false;
        }

        var i = 1;
        for (; i < lines.Length && lines[i].Length > 0; i++)
        {
            if (proof.Count == MaxProofLines)
            {
                error = $"At most {MaxProofLines} proof lines.";
                return false;
            }

            try
            {
                var hash = Convert.FromBase64String(lines[i]);
                if (hash.Length != Merkle.HashSize)
                {
                    error = $"Proof line {i} is not a 32-byte hash.";
                    return false;
                }

                proof.Add(hash);
            }
            catch (FormatException)
            {
                error = $"Proof line {i} is not base64.";
                return false;
            }
        }

        if (i >= lines.Length - 1)
        {
            error = "A blank line and the checkpoint must follow the proof.";
            return false;
        }

        note = string.Join('\n', lines[(i + 1)..]);
        return true;
    }

    private static IResult Bad(string detail) => Results.Problem(statusCode: 400, title: "Bad request", detail: detail);
}
