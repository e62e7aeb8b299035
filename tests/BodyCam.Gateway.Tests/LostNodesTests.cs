using System.Net.Http;
using System.Net.Sockets;
using BodyCam.Gateway.Proxy;
using Xunit;
using Yarp.ReverseProxy.Forwarder;

namespace BodyCam.Gateway.Tests;

/// <summary>
/// Which forwarding failures take a node out of its cluster: only those saying the node is lost or
/// unreachable, never a node that answered (a reset, an error), which a caller's bad bytes can cause.
/// </summary>
public sealed class LostNodesTests
{
    public static TheoryData<ForwarderError, Exception?, bool> Failures => new()
    {
        // No connection: refused, unreachable, or the connect timed out.
        { ForwarderError.Request, new HttpRequestException("connect", new SocketException((int)SocketError.ConnectionRefused)), true },
        { ForwarderError.Request, new HttpRequestException("connect", new SocketException((int)SocketError.HostUnreachable)), true },
        { ForwarderError.RequestTimedOut, new TaskCanceledException("ConnectTimeout", new TimeoutException()), true },
        // A push into a connection the kernel gave up on (unacknowledged data, TCP_USER_TIMEOUT).
        { ForwarderError.RequestBodyDestination, new AggregateException(new IOException("write", new SocketException((int)SocketError.TimedOut)), new OperationCanceledException()), true },
        // A viewer's WebSocket whose keep-alive probes went unanswered.
        { ForwarderError.UpgradeResponseDestination, new IOException("read", new SocketException((int)SocketError.TimedOut)), true },
        // The node answered: it reset the connection, or sent an error, or the client went away.
        { ForwarderError.RequestBodyDestination, new IOException("write", new SocketException((int)SocketError.ConnectionReset)), false },
        { ForwarderError.ResponseBodyDestination, new IOException("read", new SocketException((int)SocketError.ConnectionAborted)), false },
        { ForwarderError.Request, new HttpRequestException("invalid response"), false },
        { ForwarderError.RequestBodyClient, new IOException("client", new SocketException((int)SocketError.TimedOut)), false },
        { ForwarderError.UpgradeActivityTimeout, null, false },
        { ForwarderError.None, null, false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Only_a_lost_or_unreachable_node_counts_as_lost(ForwarderError error, Exception? exception, bool lost) =>
        Assert.Equal(lost, LostNodes.IsLost(error, exception));

    [Theory]
    [InlineData(ForwarderError.RequestBodyDestination, SocketError.ConnectionReset, true)]
    [InlineData(ForwarderError.RequestBodyDestination, SocketError.Shutdown, true)] // a broken pipe
    [InlineData(ForwarderError.UpgradeResponseDestination, SocketError.ConnectionReset, true)]
    [InlineData(ForwarderError.RequestBodyClient, SocketError.ConnectionReset, false)] // the caller went away
    [InlineData(ForwarderError.RequestBodyDestination, SocketError.TimedOut, false)] // lost, not reset
    public void A_reset_by_the_destination_makes_the_gateway_check_whether_anyone_is_there(ForwarderError error, SocketError socket, bool check) =>
        Assert.Equal(check, LostNodes.WasReset(error, new AggregateException(new IOException("write", new SocketException((int)socket)))));
}
