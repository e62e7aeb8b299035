using System.Collections.Concurrent;
using BodyCam.Contracts.Access;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BodyCam.ServiceDefaults.Security;

/// <summary>
/// Counts refusals of callers who proved no identity, per source address and reason, and records
/// each count as one <see cref="UnverifiedAccessRefused"/> fact per window. Anyone can send a request
/// with a made-up token; recording each one would let them grow the database and the audit chain at
/// will and bury the refusals that matter. Counting costs a dictionary entry per source, and the
/// number of sources kept per window is bounded too.
/// </summary>
public sealed class UnverifiedRefusals(IDocumentStore store, TimeProvider time, ServiceIdentity service, ILogger<UnverifiedRefusals> log)
{
    /// <summary>The most sources counted apart in one window; the rest are counted together.</summary>
    public const int MaxSources = 1000;

    /// <summary>How many claimed subjects and paths a count keeps as examples.</summary>
    public const int MaxExamples = 5;

    public const string OtherSources = "other-sources";

    private ConcurrentDictionary<(string? Source, string Reason), Tally> _tallies = new();

    /// <summary>Counts one refusal; never waits on the store.</summary>
    public void Count(HttpContext context, string reason, string? claimedSubject)
    {
        var tallies = Volatile.Read(ref _tallies);
        var source = context.ClientAddress();
        if (tallies.Count >= MaxSources && !tallies.ContainsKey((source, reason)))
        {
            source = OtherSources;
        }

        var now = time.GetUtcNow();
        tallies.GetOrAdd((source, reason), static (_, at) => new Tally(at), now)
            .Add(now, claimedSubject, context.Request.Path.Value ?? "/");
    }

    /// <summary>Records what was counted since the last flush as facts; a count that cannot be stored now is kept for the next.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var tallies = Interlocked.Exchange(ref _tallies, new ConcurrentDictionary<(string?, string), Tally>());
        if (tallies.IsEmpty)
        {
            return;
        }

        var now = time.GetUtcNow();
        var correlationId = Guid.CreateVersion7();
        try
        {
            await using var session = store.LightweightSession();
            foreach (var ((source, reason), tally) in tallies)
            {
                var (count, first, last, subjects, paths) = tally.Read();
                session.Events.StartStream($"unverified-refusals-{Guid.CreateVersion7()}", new UnverifiedAccessRefused(
                    service.Name, source, reason, count, subjects, paths, first, last, RequestActor.Anonymous, now, correlationId));
            }

            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.LogError(e, "Could not record {Count} counts of refused unverified callers; they are kept for the next try", tallies.Count);
            foreach (var (key, tally) in tallies)
            {
                Volatile.Read(ref _tallies).AddOrUpdate(key, tally, (_, current) => current.Merge(tally));
            }
        }
    }

    private sealed class Tally(DateTimeOffset first)
    {
        private readonly object _gate = new();
        private readonly List<string> _subjects = [];
        private readonly List<string> _paths = [];
        private long _count;
        private DateTimeOffset _first = first;
        private DateTimeOffset _last = first;

        public void Add(DateTimeOffset at, string? subject, string path)
        {
            lock (_gate)
            {
                _count++;
                _last = at > _last ? at : _last;
                Keep(_subjects, subject);
                Keep(_paths, path.Length > 200 ? path[..200] : path);
            }
        }

        public Tally Merge(Tally other)
        {
            var (count, first, last, subjects, paths) = other.Read();
            lock (_gate)
            {
                _count += count;
                _first = first < _first ? first : _first;
                _last = last > _last ? last : _last;
                subjects.ToList().ForEach(s => Keep(_subjects, s));
                paths.ToList().ForEach(p => Keep(_paths, p));
            }

            return this;
        }

        public (long Count, DateTimeOffset First, DateTimeOffset Last, IReadOnlyList<string> Subjects, IReadOnlyList<string> Paths) Read()
        {
            lock (_gate)
            {
                return (_count, _first, _last, [.. _subjects], [.. _paths]);
            }
        }

        private static void Keep(List<string> examples, string? value)
        {
            if (value is not null && examples.Count < MaxExamples && !examples.Contains(value))
            {
                examples.Add(value);
            }
        }
    }
}

/// <summary>Records the counts of <see cref="UnverifiedRefusals"/> once a window (<c>Security:RefusalWindow</c>, a minute by default) and at shutdown.</summary>
internal sealed class UnverifiedRefusalsFlusher(UnverifiedRefusals refusals, IConfiguration configuration, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(configuration.GetValue("Security:RefusalWindow", TimeSpan.FromMinutes(1)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await refusals.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await refusals.FlushAsync(cancellationToken);
    }
}
