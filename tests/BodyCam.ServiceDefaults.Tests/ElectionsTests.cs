using BodyCam.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace BodyCam.ServiceDefaults.Tests;

/// <summary>
/// Elected work against the real PostgreSQL: two instances of a service stand for the same work,
/// one does it at a time, and the other takes it when the holder stops or loses the database.
/// </summary>
public sealed class ElectionsTests : IAsyncLifetime
{
    private readonly string _work = $"probe-{Guid.NewGuid():N}";
    private readonly string _postgres = Environment.GetEnvironmentVariable("BODYCAM_TEST_POSTGRES")
        ?? throw new InvalidOperationException("BODYCAM_TEST_POSTGRES is not set: run the tests with './bodycam test'.");
    private readonly List<(CancellationTokenSource Stop, Task Running)> _candidates = [];
    private TcpProxy _proxy = null!;
    private int _running;
    private int _mostAtOnce;

    public Task InitializeAsync()
    {
        var direct = new NpgsqlConnectionStringBuilder(_postgres);
        _proxy = new TcpProxy(direct.Host!, direct.Port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var (stop, running) in _candidates)
        {
            await stop.CancelAsync();
            try
            {
                await running;
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task One_instance_at_a_time_does_the_work_and_another_takes_it_when_the_holder_stops()
    {
        var runs = new List<string>();
        var (a, stopA) = Stand("a", Direct, runs);
        await Eventually.Async(async () => a.Held.Count == 1 ? "a holds" : null, TimeSpan.FromSeconds(10), "the first instance to be elected");
        var (b, _) = Stand("b", Direct, runs);

        // b stands while a holds: a's lock refuses it every second.
        await Eventually.Async(async () => await StandingAsync() >= 2 ? "both standing" : null, TimeSpan.FromSeconds(10), "both instances to have a session");
        Assert.Empty(b.Held);

        await stopA.CancelAsync();
        await Eventually.Async(async () => b.Held.Count == 1 ? "b holds" : null, TimeSpan.FromSeconds(10), "the second instance to take the work");
        Assert.Equal(["a", "b"], Snapshot(runs));
        Assert.Equal(1, _mostAtOnce);
    }

    [Fact]
    public async Task A_holder_cut_off_from_the_database_stops_its_work_and_another_takes_it()
    {
        var runs = new List<string>();
        var proxied = new NpgsqlConnectionStringBuilder(_postgres) { Host = "127.0.0.1", Port = _proxy.Port }.ConnectionString;
        var (a, _) = Stand("a", proxied, runs);
        await Eventually.Async(async () => a.Held.Count == 1 ? "a holds" : null, TimeSpan.FromSeconds(10), "the first instance to be elected");
        var (b, _) = Stand("b", Direct, runs);

        _proxy.Cut();

        await Eventually.Async(async () => a.Held.Count == 0 ? "a stood down" : null, TimeSpan.FromSeconds(10), "the cut-off instance to stop its work");
        await Eventually.Async(async () => b.Held.Count == 1 ? "b holds" : null, TimeSpan.FromSeconds(10), "the other instance to take the work");
        Assert.Equal(["a", "b"], Snapshot(runs));

        // a stands again when its database comes back, and waits behind b.
        _proxy.Restore();
        await Eventually.Async(async () => await StandingAsync() >= 2 ? "both standing" : null, TimeSpan.FromSeconds(15), "the cut-off instance to stand again");
        Assert.Empty(a.Held);
    }

    [Fact]
    public async Task Work_that_fails_is_started_again_on_the_holder()
    {
        var attempts = 0;
        var elections = Candidate(Direct);
        var stop = new CancellationTokenSource();
        _candidates.Add((stop, elections.RunWhenElectedAsync(_work, async token =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                throw new InvalidOperationException("the first attempt fails");
            }

            await Task.Delay(Timeout.Infinite, token);
        }, stop.Token)));

        await Eventually.Async(async () => Volatile.Read(ref attempts) >= 2 && elections.Held.Count == 1 ? "running again" : null, TimeSpan.FromSeconds(10), "the work to start again");
    }

    [Fact]
    public void Each_piece_of_work_has_its_own_lock_and_the_same_name_the_same_lock()
    {
        Assert.Equal(Elections.LockKey("audit:chain-writer"), Elections.LockKey("audit:chain-writer"));
        Assert.NotEqual(Elections.LockKey("audit:chain-writer"), Elections.LockKey("audit:checkpoint-signer"));
    }

    private string Direct => _postgres;

    private (Elections Elections, CancellationTokenSource Stop) Stand(string name, string connectionString, List<string> runs)
    {
        var elections = Candidate(connectionString);
        var stop = new CancellationTokenSource();
        _candidates.Add((stop, elections.RunWhenElectedAsync(_work, async token =>
        {
            lock (runs)
            {
                runs.Add(name);
            }

            var now = Interlocked.Increment(ref _running);
            InterlockedMax(ref _mostAtOnce, now);
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }, stop.Token)));
        return (elections, stop);
    }

    private static Elections Candidate(string connectionString) => new(
        new ConfigurationBuilder().AddInMemoryCollection([new("ConnectionStrings:postgres", connectionString)]).Build(),
        new ServiceIdentity("probe"), TimeProvider.System, NullLogger<Elections>.Instance);

    /// <summary>Sessions PostgreSQL has open for this test's work (its application name).</summary>
    private async Task<long> StandingAsync()
    {
        await using var connection = new NpgsqlConnection(_postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", connection)
        {
            Parameters = { new() { Value = $"bodycam probe:{_work}" } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static List<string> Snapshot(List<string> runs)
    {
        lock (runs)
        {
            return [.. runs];
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
