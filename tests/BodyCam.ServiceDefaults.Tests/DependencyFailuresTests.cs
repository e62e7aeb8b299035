using System.Net.Sockets;
using BodyCam.ServiceDefaults.Problems;
using Npgsql;
using Xunit;

namespace BodyCam.ServiceDefaults.Tests;

/// <summary>A request that fails because the database is down or restarting is a 503, never a 500; a real fault is still a 500.</summary>
public sealed class DependencyFailuresTests
{
    [Fact]
    public void A_database_that_cannot_be_reached_or_is_shutting_down_is_a_dependency_failure()
    {
        Assert.True(DependencyFailures.IsUnavailable(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(DependencyFailures.IsUnavailable(new NpgsqlException("Exception while reading from stream", new IOException("reset"))));
        Assert.True(DependencyFailures.IsUnavailable(new InvalidOperationException("Marten failed", new TimeoutException())));
        // A failover: the hosts answer, none of them yet the primary.
        Assert.True(DependencyFailures.IsUnavailable(new InvalidOperationException("Marten Command Failure", new NpgsqlException("No suitable host was found."))));
    }

    [Fact]
    public void A_programming_fault_is_not_a_dependency_failure()
    {
        Assert.False(DependencyFailures.IsUnavailable(new InvalidOperationException("a bug")));
        Assert.False(DependencyFailures.IsUnavailable(new NpgsqlException("syntax")));
        Assert.False(DependencyFailures.IsUnavailable(new ArgumentException("bad", new FormatException())));
    }
}
