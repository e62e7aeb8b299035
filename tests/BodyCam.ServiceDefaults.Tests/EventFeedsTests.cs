using System.Threading.Channels;
using BodyCam.ServiceDefaults;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BodyCam.ServiceDefaults.Tests;

/// <summary>Every server-sent feed: ready at once, each item as it comes, a heartbeat after 15 quiet seconds, and the end its source gives.</summary>
public sealed class EventFeedsTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly Channel<string> _source = Channel.CreateUnbounded<string>();

    private IAsyncEnumerator<string> Follow() =>
        EventFeeds.FollowAsync(_source.Reader, "ready", () => "heartbeat", _time, CancellationToken.None).GetAsyncEnumerator();

    [Fact]
    public async Task Ready_then_items_as_they_come_and_a_heartbeat_only_after_the_quiet_interval()
    {
        await using var feed = Follow();
        Assert.True(await feed.MoveNextAsync());
        Assert.Equal("ready", feed.Current);

        var next = feed.MoveNextAsync();
        Assert.False(next.IsCompleted);
        _source.Writer.TryWrite("a");
        Assert.True(await next);
        Assert.Equal("a", feed.Current);

        next = feed.MoveNextAsync();
        _time.Advance(EventFeeds.HeartbeatInterval - TimeSpan.FromSeconds(1));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await next);
        Assert.Equal("heartbeat", feed.Current);

        _source.Writer.TryWrite("b");
        Assert.True(await feed.MoveNextAsync());
        Assert.Equal("b", feed.Current);
    }

    [Fact]
    public async Task The_feed_ends_when_its_source_does_and_with_the_sources_error()
    {
        await using (var feed = Follow())
        {
            Assert.True(await feed.MoveNextAsync());
            _source.Writer.TryWrite("last");
            _source.Writer.Complete();
            Assert.True(await feed.MoveNextAsync());
            Assert.Equal("last", feed.Current);
            Assert.False(await feed.MoveNextAsync());
        }

        var failing = Channel.CreateUnbounded<string>();
        await using var failed = EventFeeds.FollowAsync(failing.Reader, "ready", () => "heartbeat", _time, CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await failed.MoveNextAsync());
        failing.Writer.Complete(new TimeoutException("the store went away"));
        Assert.Equal("the store went away", (await Assert.ThrowsAsync<TimeoutException>(async () => await failed.MoveNextAsync())).Message);
    }
}
