using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BodyCam.ServiceDefaults;

/// <summary>
/// Work that must happen once however many instances of a service run (grant expiry, the audit
/// chain's writer and signer, webhook dispatch): each piece runs on one elected instance at a time,
/// the holder of a PostgreSQL session-level advisory lock named for it, on a connection of its own.
/// </summary>
/// <remarks>
/// <para>
/// Why advisory locks: every service already depends on PostgreSQL and nothing else they share keeps
/// a consensus; the lock is the database's own, released by the server the moment the holder's
/// session ends. A killed instance's socket closes at once, so another takes the work within
/// <see cref="Retry"/>. A node cut off from the network leaves a half-open socket: the session asks
/// the server for TCP keep-alives of 2 s, then 1 s, three times, so the server ends it (and frees the
/// lock) within about 5 s. The holder checks its session every <see cref="Check"/> and stops its work
/// when the check fails, so a holder that lost the database stops, as the server frees its lock.
/// </para>
/// <para>
/// Between those two moments two instances may briefly both believe they hold the work. Each piece
/// is safe to overlap for that long: the chain's writer appends with an expected version, expiry and
/// dispatch write with optimistic concurrency or idempotent keys.
/// </para>
/// </remarks>
public sealed class Elections(IConfiguration configuration, ServiceIdentity service, TimeProvider time, ILogger<Elections> log)
{
    public static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Check = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly HashSet<string> _held = new(StringComparer.Ordinal);

    /// <summary>The pieces of work this instance holds now.</summary>
    public IReadOnlyCollection<string> Held
    {
        get
        {
            lock (_gate)
            {
                return [.. _held.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The advisory lock key of a piece of work: the first 8 bytes of SHA-256 of its name.</summary>
    public static long LockKey(string work) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"bodycam-elected:{work}")));

    /// <summary>
    /// Runs <paramref name="run"/> whenever this instance holds <paramref name="work"/>, until
    /// <paramref name="stoppingToken"/>; its token is cancelled when the hold is lost. Returns when stopped.
    /// </summary>
    public async Task RunWhenElectedAsync(string work, Func<CancellationToken, Task> run, CancellationToken stoppingToken)
    {
        var name = $"{service.Name}:{work}";
        var connectionString = configuration.GetConnectionString("postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:postgres is not set. './bodycam up' sets it; see README.md.");
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // A session of its own, never returned to a pool: closing it is how the lock is let go.
            Pooling = false,
            Timeout = 5,
            CommandTimeout = 5,
            KeepAlive = 1,
            ApplicationName = $"bodycam {name}",
        };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var session = new NpgsqlConnection(builder.ConnectionString);
                await session.OpenAsync(stoppingToken);
                await using (var settings = new NpgsqlCommand(
                    "SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3", session))
                {
                    await settings.ExecuteNonQueryAsync(stoppingToken);
                }

                while (!await TryLockAsync(session, name, stoppingToken))
                {
                    await Task.Delay(Retry, time, stoppingToken);
                }

                if (await HoldAsync(session, name, run, stoppingToken))
                {
                    return;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Standing for {Work} failed; standing again in {Retry}", name, Retry);
            }

            try
            {
                await Task.Delay(Retry, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection session, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", session) { Parameters = { new() { Value = LockKey(name) } } };
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Holds the work until it ends or the hold is lost; true when the work ended by itself, done.</summary>
    private async Task<bool> HoldAsync(NpgsqlConnection session, string name, Func<CancellationToken, Task> run, CancellationToken stoppingToken)
    {
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        lock (_gate)
        {
            _held.Add(name);
        }

        log.LogInformation("Elected for {Work}", name);
        var working = Task.Run(() => run(held.Token), CancellationToken.None);
        while (!working.IsCompleted && !stoppingToken.IsCancellationRequested)
        {
            await Task.WhenAny(working, Task.Delay(Check, time, stoppingToken));
            if (working.IsCompleted || stoppingToken.IsCancellationRequested || await SessionAnswersAsync(session, name, stoppingToken))
            {
                continue;
            }

            break;
        }

        var endedByItself = working.IsCompleted;
        await held.CancelAsync();
        lock (_gate)
        {
            _held.Remove(name);
        }

        try
        {
            await working;
            log.LogInformation("Stood down from {Work}", name);
            return endedByItself;
        }
        catch (OperationCanceledException)
        {
            log.LogInformation("Stood down from {Work}", name);
            return false;
        }
        catch (Exception e)
        {
            log.LogError(e, "{Work} failed while elected; standing again", name);
            return false;
        }
    }

    private async Task<bool> SessionAnswersAsync(NpgsqlConnection session, string name, CancellationToken cancellationToken)
    {
        try
        {
            await using var ping = new NpgsqlCommand("SELECT 1", session);
            await ping.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (Exception e)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Lost the database session holding {Work}; stopping it", name);
            }

            return false;
        }
    }
}

/// <summary>A background service whose work runs only while this instance is elected for it (<see cref="Elections"/>).</summary>
public abstract class ElectedService(Elections elections, string work) : BackgroundService
{
    /// <summary>The work's name within its service.</summary>
    public string Work => work;

    protected sealed override Task ExecuteAsync(CancellationToken stoppingToken) =>
        elections.RunWhenElectedAsync(work, RunElectedAsync, stoppingToken);

    /// <summary>The work, run while elected; <paramref name="electedToken"/> is cancelled when the hold is lost or the host stops.</summary>
    protected abstract Task RunElectedAsync(CancellationToken electedToken);
}
