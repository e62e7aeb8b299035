using BodyCam.ServiceDefaults.Messaging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BodyCam.ServiceDefaults.Tests;

public sealed class DeliveryOrderTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Deliveries_that_arrive_out_of_order_are_released_in_the_order_the_broker_numbered_them()
    {
        var order = new DeliveryOrder<string>(_time);
        var released = new List<string>();
        order.Add("2", "a", 2, released);
        order.Add("3", "a", 3, released);
        Assert.Empty(released);
        order.Add("1", "a", 1, released);
        order.Add("4", "a", 4, released);
        Assert.Equal(["1", "2", "3", "4"], released);
    }

    [Fact]
    public void Each_channel_keeps_its_own_order_and_a_message_without_one_goes_at_once()
    {
        var order = new DeliveryOrder<string>(_time);
        var released = new List<string>();
        order.Add("b2", "b", 2, released);
        order.Add("a1", "a", 1, released);
        order.Add("free", null, 0, released);
        order.Add("b1", "b", 1, released);
        Assert.Equal(["a1", "free", "b1", "b2"], released);
    }

    [Fact]
    public void A_delivery_that_never_comes_holds_the_rest_back_only_for_the_gap_wait()
    {
        var order = new DeliveryOrder<string>(_time);
        var released = new List<string>();
        order.Add("1", "a", 1, released);
        order.Add("3", "a", 3, released);
        Assert.Equal(["1"], released);
        Assert.True(order.Waiting);

        _time.Advance(DeliveryOrder<string>.GapWait / 2);
        order.ReleaseOverdue(released);
        Assert.Equal(["1"], released);

        _time.Advance(DeliveryOrder<string>.GapWait);
        order.ReleaseOverdue(released);
        Assert.Equal(["1", "3"], released);
        Assert.False(order.Waiting);

        // The missing one turning up late (a retry) is not held: there is nothing left to wait for.
        order.Add("2", "a", 2, released);
        Assert.Equal(["1", "3", "2"], released);
    }
}
