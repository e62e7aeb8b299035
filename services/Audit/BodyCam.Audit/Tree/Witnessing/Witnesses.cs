using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace BodyCam.Audit.Tree.Witnessing;

/// <summary>A witness audit asks to cosign: where its <c>add-checkpoint</c> lives and its cosigning key (<c>name+id+base64</c>).</summary>
public sealed class WitnessEndpoint
{
    public string Url { get; set; } = "";
    public string Key { get; set; } = "";
}

/// <summary><c>Audit:Witnesses</c>: the witnesses, and (<c>Audit:WitnessQuorum</c>) how many of them must cosign a checkpoint for it to count as witnessed (all of them unless set).</summary>
public sealed class WitnessOptions
{
    public List<WitnessEndpoint> Witnesses { get; set; } = [];
    public int? WitnessQuorum { get; set; }
}

/// <summary>
/// The log's side of C2SP <c>tlog-witness</c>: sends each new checkpoint with a consistency proof
/// from the size each witness last cosigned, and keeps the cosignatures that verify with that
/// witness's configured key. A witness that answers 409 names its size and is asked again from
/// there; one that refuses a consistency proof (422), or holds a bigger or different tree, is
/// shouting that this log was rewritten, and is logged as critical.
/// </summary>
public sealed class Witnesses
{
    public const int MaxProofLines = 63;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly HttpClient _http;
    private readonly ILogger<Witnesses> _log;
    private readonly IReadOnlyList<(Uri Url, NoteKey Key)> _witnesses;
    private readonly ConcurrentDictionary<string, long> _cosigned = new();
    private readonly Counter<long> _refusals;

    public Witnesses(HttpClient http, IOptions<WitnessOptions> options, IMeterFactory meters, ILogger<Witnesses> log)
    {
        (_http, _log) = (http, log);
        _witnesses = [.. options.Value.Witnesses.Select(w => SignedNote.TryParseVerifierKey(w.Key, out var key) && key.Type == SignedNote.CosignatureType
            && Uri.TryCreate(w.Url, UriKind.Absolute, out var url)
            ? (url, key)
            : throw new OptionsValidationException("Audit:Witnesses", typeof(WitnessOptions), [$"Witness {w.Url} needs an absolute URL and an Ed25519 cosignature key (name+id+base64 of 0x04 and the key)."]))];
        QuorumSize = Math.Clamp(options.Value.WitnessQuorum ?? _witnesses.Count, 0, _witnesses.Count);
        _refusals = meters.Create("audit").CreateCounter<long>("bodycam.audit.witness_refusals", description: "Checkpoints a witness refused as inconsistent with what it cosigned before");
    }

    public IReadOnlyList<NoteKey> Keys => [.. _witnesses.Select(w => w.Key)];

    public int QuorumSize { get; }

    /// <summary>Whether a signed note carries valid cosignatures from at least the quorum of configured witnesses.</summary>
    public bool Quorum(string? note) => Cosigners(note) >= QuorumSize;

    /// <summary>How many configured witnesses validly cosigned <paramref name="note"/>.</summary>
    public int Cosigners(string? note)
    {
        if (!SignedNote.TryParse(note, out var body, out var signatures))
        {
            return 0;
        }

        return _witnesses.Count(w => signatures.Any(s => SignedNote.Verifies(body, s, w.Key)));
    }

    /// <summary>Asks every witness at once to cosign the log-signed <paramref name="note"/> of a tree of <paramref name="size"/>; the cosignature lines that came back valid.</summary>
    public async Task<IReadOnlyList<string>> CosignAsync(string note, long size, LogTree tree, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(_witnesses.Select(w => CosignAsync(w.Url, w.Key, note, size, tree, cancellationToken)));
        return [.. answers.Where(a => a is not null)!];
    }

    private async Task<string?> CosignAsync(Uri url, NoteKey key, string note, long size, LogTree tree, CancellationToken cancellationToken)
    {
        var body = note[..(note.LastIndexOf("\n\n", StringComparison.Ordinal) + 1)];
        var old = _cosigned.GetValueOrDefault(key.Name);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (old > size)
            {
                Refused(url, $"it has cosigned a tree of {old} entries and this log now has {size}: the log lost entries");
                return null;
            }

            try
            {
                var proof = old == 0 ? [] : await tree.ConsistencyProofAsync(old, size, cancellationToken);
                var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"old {old}\n");
                proof.ForEach(p => request.Append(Convert.ToBase64String(p)).Append('\n'));
                request.Append('\n').Append(note);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(Timeout);
                using var response = await _http.PostAsync(new Uri(url, "add-checkpoint"), new StringContent(request.ToString(), Encoding.UTF8, "text/plain"), timeout.Token);
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                switch ((int)response.StatusCode)
                {
                    case 200:
                        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l + "\n").ToList();
                        var valid = lines.FirstOrDefault(l => SignedNote.TryParse(body + "\n" + l, out var b, out var s) && SignedNote.Verifies(b, s[0], key));
                        if (valid is null)
                        {
                            _log.LogWarning("Witness {Witness} answered without a valid cosignature by {Key}", url, key.Name);
                            return null;
                        }

                        _cosigned[key.Name] = size;
                        return valid;
                    case 409 when long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var known) && known != old:
                        old = known;
                        continue;
                    case 409:
                        Refused(url, $"it holds a different tree of {old} entries than this log's");
                        return null;
                    case 422:
                        Refused(url, $"the log's tree of {size} entries is not consistent with the tree of {old} it cosigned: {text.Trim()}");
                        return null;
                    default:
                        _log.LogWarning("Witness {Witness} answered {Status} to checkpoint {Size}: {Answer}", url, (int)response.StatusCode, size, text.Length > 200 ? text[..200] : text);
                        return null;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                _log.LogWarning("Witness {Witness} is unreachable ({Error}); the checkpoint of {Size} goes without its cosignature for now", url, e.Message, size);
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// What each witness last cosigned for <paramref name="origin"/> (its <c>/logs</c>), as the log
    /// signed it: size and root, or why there is none (unreachable, never cosigned, not the log's signature).
    /// </summary>
    public async Task<IReadOnlyList<WitnessedHead>> LatestAsync(string origin, NoteKey logKey, CancellationToken cancellationToken) =>
        await Task.WhenAll(_witnesses.Select(async w =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(Timeout);
                var logs = await _http.GetFromJsonAsync<List<WitnessLog>>(new Uri(w.Url, "logs"), timeout.Token) ?? [];
                var latest = logs.FirstOrDefault(l => l.Origin == origin);
                if (latest is null)
                {
                    return new WitnessedHead(w.Key.Name, null, null, "it has cosigned nothing of this log yet");
                }

                return SignedNote.TryParse(latest.Note, out var body, out var signatures) && signatures.Any(s => SignedNote.Verifies(body, s, logKey))
                    && SignedNote.TryReadCheckpoint(body, out var o, out var size, out var root) && o == origin
                    ? new WitnessedHead(w.Key.Name, size, root, null)
                    : new WitnessedHead(w.Key.Name, null, null, "what it holds is not signed by this log's key");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
            {
                return new WitnessedHead(w.Key.Name, null, null, $"unreachable ({e.Message})");
            }
        }));

    private sealed record WitnessLog(string Origin, long Size, string Root, string Note);

    private void Refused(Uri url, string why)
    {
        _refusals.Add(1);
        _log.LogCritical("WITNESS REFUSED THE AUDIT LOG: witness {Witness} will not cosign because {Why}. Someone may have rewritten the audit record; compare the witness's last cosigned checkpoint with this log's.", url, why);
    }
}

/// <summary>A witness's newest cosigned checkpoint of this log: its size and root, or why it gives none.</summary>
public sealed record WitnessedHead(string Witness, long? Size, byte[]? Root, string? Unavailable);
