using DotNet.Testcontainers.Builders;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace BodyCam.Testing;

/// <summary>
/// The PostgreSQL and RabbitMQ the tests run against: those <c>./bodycam test</c> started (named by
/// <c>BODYCAM_TEST_POSTGRES</c> and <c>BODYCAM_TEST_RABBITMQ</c>), else containers where a Docker engine
/// exists. With neither, the tests fail and say how to get them: they never skip.
/// </summary>
public sealed class TestServers : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _containers = [];

    private TestServers(string postgres, string rabbitMq)
    {
        Postgres = postgres;
        RabbitMq = rabbitMq;
    }

    /// <summary>A connection string for a role that may create databases.</summary>
    public string Postgres { get; }

    /// <summary>An AMQP URI with its own virtual host.</summary>
    public string RabbitMq { get; }

    public static async Task<TestServers> AcquireAsync()
    {
        var postgres = Environment.GetEnvironmentVariable("BODYCAM_TEST_POSTGRES");
        var rabbitMq = Environment.GetEnvironmentVariable("BODYCAM_TEST_RABBITMQ");
        if (!string.IsNullOrWhiteSpace(postgres) && !string.IsNullOrWhiteSpace(rabbitMq))
        {
            return new TestServers(postgres, rabbitMq);
        }

        try
        {
            var pg = new PostgreSqlBuilder("postgres:15").Build();
            var mq = new RabbitMqBuilder("rabbitmq:3.10-management").Build();
            await Task.WhenAll(pg.StartAsync(), mq.StartAsync());
            var servers = new TestServers(pg.GetConnectionString(), mq.GetConnectionString());
            servers._containers.AddRange([pg, mq]);
            return servers;
        }
        catch (Exception e) when (e is DockerUnavailableException or InvalidOperationException or AggregateException)
        {
            throw new InvalidOperationException(
                "No PostgreSQL and RabbitMQ for the tests. Run them with './bodycam test', which installs and starts both " +
                "and sets BODYCAM_TEST_POSTGRES and BODYCAM_TEST_RABBITMQ; or set those two yourself; or have a Docker " +
                $"engine for Testcontainers. ({e.GetType().Name}: {e.Message})", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in _containers)
        {
            await container.DisposeAsync();
        }
    }
}
