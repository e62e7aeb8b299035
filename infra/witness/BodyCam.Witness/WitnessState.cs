using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BodyCam.Audit.Tree;
using Microsoft.Extensions.Options;

namespace BodyCam.Witness;

/// <summary>The newest checkpoint the witness cosigned for a log.</summary>
public sealed record CosignedCheckpoint(string Origin, long Size, string Root, string Note, DateTimeOffset At);

/// <summary>A refusal that may be evidence of a rewritten log: what was asked, why it was refused, and the request as sent.</summary>
public sealed record Alarm(DateTimeOffset At, string Origin, string Reason, string Request);

/// <summary>
/// The witness's own small store, a directory: one file per log with the newest checkpoint it
/// cosigned (replaced atomically: written beside, flushed, renamed), and an append-only file of
/// alarms. Checking a request against the stored size and storing the new one happen under one
/// lock, so two requests cannot roll the size back (tlog-witness's race).
/// </summary>
public sealed class WitnessState : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly string _directory;
    private readonly NoteSigner _key;
    private readonly Dictionary<string, NoteKey> _logs;
    private readonly ILogger<WitnessState> _log;

    public WitnessState(IOptions<WitnessSettings> options, ILogger<WitnessState> log)
    {
        var settings = options.Value;
        _log = log;
        _directory = Path.GetFullPath(settings.StoreDirectory);
        Directory.CreateDirectory(Path.Combine(_directory, "logs"));
        _key = NoteSigner.Load(settings.KeyFile ?? Path.Combine(_directory, "witness.key"), settings.Name);
        _logs = settings.Logs.Select(l => SignedNote.TryParseVerifierKey(l.Key, out var key) ? key : throw new OptionsValidationException("Witness:Logs", typeof(WitnessSettings), ["bad log key"]))
            .ToDictionary(k => k.Name);
    }

    public string Name => _key.Name;

    public string VerifierKey => SignedNote.VerifierKey(_key.Name, SignedNote.CosignatureType, _key.PublicKey);

    public IEnumerable<string> Origins => _logs.Keys;

    public NoteKey? LogKey(string origin) => _logs.TryGetValue(origin, out var key) ? key : null;

    /// <summary>Runs <paramref name="decide"/> with the log's newest cosigned checkpoint, under the lock; stores what it returns to store.</summary>
    public async Task<T> UpdateAsync<T>(string origin, Func<CosignedCheckpoint?, (T Answer, CosignedCheckpoint? Store)> decide, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var (answer, store) = decide(Read(origin));
            if (store is not null)
            {
                var path = FileOf(origin);
                var temporary = path + ".new";
                await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
                {
                    await JsonSerializer.SerializeAsync(file, store, Json, cancellationToken);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temporary, path, overwrite: true);
            }

            return answer;
        }
        finally
        {
            _lock.Release();
        }
    }

    public string Cosign(string body, DateTimeOffset at) => SignedNote.Cosign(body, _key.Name, _key.Key, at);

    public void Raise(string origin, string reason, string request)
    {
        var alarm = new Alarm(DateTimeOffset.UtcNow, origin, reason, request);
        _log.LogCritical("ALARM: the log {Origin} sent a checkpoint this witness refuses: {Reason}. The request is kept in {File} as evidence.", origin, reason, AlarmFile);
        lock (_directory)
        {
            File.AppendAllText(AlarmFile, JsonSerializer.Serialize(alarm, Json) + "\n");
        }
    }

    public IReadOnlyList<Alarm> Alarms()
    {
        lock (_directory)
        {
            return File.Exists(AlarmFile) ? [.. File.ReadAllLines(AlarmFile).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<Alarm>(l, Json)!)] : [];
        }
    }

    public IReadOnlyList<CosignedCheckpoint> Logs() => [.. _logs.Keys.Select(Read).OfType<CosignedCheckpoint>()];

    public void Dispose()
    {
        _key.Dispose();
        _lock.Dispose();
    }

    private string AlarmFile => Path.Combine(_directory, "alarms.jsonl");

    private CosignedCheckpoint? Read(string origin)
    {
        var path = FileOf(origin);
        return File.Exists(path) ? JsonSerializer.Deserialize<CosignedCheckpoint>(File.ReadAllText(path), Json) : null;
    }

    private string FileOf(string origin) =>
        Path.Combine(_directory, "logs", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)))[..32] + ".json");
}
