using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using BodyCam.ServiceDefaults.Messaging;
using JasperFx;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace BodyCam.ServiceDefaults.Tests;

/// <summary>A document every probe message changes, so lost or doubled updates show in its count.</summary>
public sealed record Tally(string Id, int Count, IReadOnlyList<string> Seen);

/// <summary>The service's fact writer against the real PostgreSQL: batches, once per message, one failure alone.</summary>
public sealed class FactWriterTests : IAsyncLifetime
{
    private readonly string _schema = $"facts_{Guid.NewGuid():N}"[..14];
    private readonly ConcurrentBag<int> _batchSizes = [];
    private DocumentStore _store = null!;
    private FactWriter _writer = null!;
    private MeterListener _listener = null!;
    private IMeterFactory _meters = null!;

    public async Task InitializeAsync()
    {
        _store = DocumentStore.For(o =>
        {
            o.Connection(Environment.GetEnvironmentVariable("BODYCAM_TEST_POSTGRES")
                ?? throw new InvalidOperationException("BODYCAM_TEST_POSTGRES is not set: run the tests with './bodycam test'."));
            o.DatabaseSchemaName = _schema;
            o.AutoCreateSchemaObjects = AutoCreate.All;
            o.Schema.For<HandledMessage>();
            o.Schema.For<Tally>();
        });
        _meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                // Only this test's writer: other tests' services run beside it in the same process.
                if (instrument.Name == "bodycam.facts.batch_size" && ReferenceEquals(instrument.Meter.Scope, _meters))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<int>((_, size, _, _) => _batchSizes.Add(size));
        _listener.Start();
        _writer = new FactWriter(_store, TimeProvider.System, _meters, NullLogger<FactWriter>.Instance);
        await _writer.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _writer.StopAsync(CancellationToken.None);
        _listener.Dispose();
        await using (var session = _store.LightweightSession())
        {
            session.QueueSqlCommand($"drop schema if exists {_schema} cascade");
            await session.SaveChangesAsync();
        }

        _store.Dispose();
    }

    private Task Count(Guid id, string tally, string label, bool alone = false, Func<IDocumentSession, Task>? before = null) =>
        _writer.WriteAsync(id, "probe", async session =>
        {
            if (before is not null)
            {
                await before(session);
            }

            var current = await session.LoadAsync<Tally>(tally) ?? new Tally(tally, 0, []);
            session.Store(current with { Count = current.Count + 1, Seen = [.. current.Seen, label] });
        }, () => { }, alone, null, DocumentKey.Of<Tally>(tally), null, CancellationToken.None);

    private async Task<Tally?> TallyAsync(string id)
    {
        await using var session = _store.QuerySession();
        return await session.LoadAsync<Tally>(id);
    }

    [Fact]
    public async Task Messages_arriving_while_a_batch_is_stored_are_stored_together_each_once_in_the_order_they_came()
    {
        // The first message holds the writer until the rest have queued behind it.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Count(Guid.NewGuid(), "t", "first", before: _ => gate.Task);
        var ids = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid()).ToArray();
        // Each message twice, the second delivery right behind the first: within one batch.
        var rest = ids.SelectMany((id, i) => new[] { Count(id, "t", $"m{i}"), Count(id, "t", $"m{i}") }).ToArray();
        gate.SetResult();
        await first;
        await Task.WhenAll(rest);

        var tally = await TallyAsync("t");
        Assert.NotNull(tally);
        Assert.Equal(201, tally.Count);
        string[] expected = ["first", .. Enumerable.Range(0, 200).Select(i => $"m{i}")];
        Assert.Equal(expected, tally.Seen);
        Assert.Contains(_batchSizes, size => size > 100);

        // Delivered again later: nothing changes.
        await Count(ids[7], "t", "again");
        Assert.Equal(201, (await TallyAsync("t"))!.Count);
    }

    [Fact]
    public async Task A_message_that_fails_fails_alone_and_the_rest_of_its_batch_is_stored()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Count(Guid.NewGuid(), "u", "first", before: _ => gate.Task);
        var good = Enumerable.Range(0, 30).Select(i => Count(Guid.NewGuid(), "u", $"g{i}")).ToArray();
        var bad = Count(Guid.NewGuid(), "u", "bad", before: _ => throw new TimeoutException("the dependency did not answer"));
        var after = Enumerable.Range(30, 30).Select(i => Count(Guid.NewGuid(), "u", $"g{i}")).ToArray();
        gate.SetResult();

        await Task.WhenAll([first, .. good, .. after]);
        await Assert.ThrowsAsync<TimeoutException>(() => bad);
        var tally = await TallyAsync("u");
        Assert.Equal(61, tally!.Count);
        Assert.DoesNotContain("bad", tally.Seen);
    }

    [Fact]
    public async Task A_message_handled_alone_sees_everything_stored_before_it_and_is_not_batched_with_it()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Count(Guid.NewGuid(), "v", "first", before: _ => gate.Task);
        var before = Enumerable.Range(0, 40).Select(i => Count(Guid.NewGuid(), $"v{i}", "x")).ToArray();
        var seen = -1;
        var alone = Count(Guid.NewGuid(), "w", "alone", alone: true, before: async session =>
            seen = await session.Query<Tally>().CountAsync(t => t.Id.StartsWith("v")));
        var later = Enumerable.Range(40, 40).Select(i => Count(Guid.NewGuid(), $"v{i}", "x")).ToArray();
        gate.SetResult();

        await Task.WhenAll([first, alone, .. before, .. later]);
        // Every tally queued before it was committed when it looked, none queued after.
        Assert.Equal(41, seen);
        Assert.Contains(1, _batchSizes);
    }
}
