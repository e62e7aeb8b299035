using BodyCam.Contracts;
using BodyCam.ServiceDefaults.Messaging.Redelivery;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>MassTransit over RabbitMQ as every BodyCam service uses it.</summary>
public static class MessageBusDefaults
{
    public static WebApplicationBuilder AddMessageBus(
        this WebApplicationBuilder builder, Action<IBusRegistrationConfigurator>? consumers = null)
    {
        var uri = builder.Configuration.GetConnectionString("rabbitmq")
            ?? throw new InvalidOperationException("ConnectionStrings:rabbitmq is not set (amqp://user:password@host:5672/vhost). './bodycam up' sets it; see README.md.");
        var service = builder.Configuration["BodyCam:Service"] ?? builder.Environment.ApplicationName;
        var queues = new ServiceQueues(ServicePrefix(builder), builder.Configuration.GetValue("Messaging:QuorumQueues", false));
        var deployOnly = builder.Configuration.GetValue("BodyCam:DeployTopology", false);
        builder.Services.AddOptions<DelayedRedeliveryOptions>().BindConfiguration("Messaging:Redelivery")
            .Validate(o => o.GiveUpAfter > TimeSpan.Zero && o.EffectiveDelays.All(d => d >= TimeSpan.FromSeconds(1)), "Messaging:Redelivery: delays of a second or more, and a positive GiveUpAfter.")
            .ValidateOnStart();
        builder.Services.AddSingleton(queues);
        builder.Services.AddSingleton<RedeliveryBroker>();
        builder.Services.AddSingleton<RedeliveryMetrics>();
        builder.Services.AddSingleton<DeadLetterWatch>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadLetterWatch>());
        builder.Services.AddHealthChecks().AddCheck<DeadLetterWatch>("dead-letters", tags: ["ready"]);

        builder.Services.AddMassTransit(x =>
        {
            // Queues are named for the service that owns them: ingest-camera-registered, audit-…
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(queues.Prefix, false));
            x.AddConfigureEndpointsCallback((name, endpoint) => endpoint.AsServiceQueue(queues, name));
            // MassTransit otherwise reports the host and its endpoints to usage-tracking.masstransit.io:
            // nothing about a force's systems leaves its network.
            x.DisableUsageTelemetry();
            consumers?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(uri), h => h.ConnectionName(service));
                // './bodycam up' runs each service once with BodyCam:DeployTopology before any starts:
                // every queue and binding exists before the first fact is published.
                cfg.DeployTopologyOnly = deployOnly;
                // Outside: a message still failing after the immediate retries waits in a delay queue
                // and comes back, for as long as an outage lasts; only poison, or a message failing
                // past Messaging:Redelivery:GiveUpAfter, lands in the endpoint's _error queue.
                cfg.UseConsumeFilter(typeof(RedeliveryFilter<>), context);
                var redelivery = context.GetRequiredService<IOptions<DelayedRedeliveryOptions>>().Value;
                cfg.UseMessageRetry(r =>
                {
                    r.Exponential(redelivery.Immediate, redelivery.ImmediateInterval, redelivery.ImmediateInterval * 8, redelivery.ImmediateInterval);
                    r.Ignore<Exception>(PoisonMessages.Is);
                });
                // The marker interface is not a message of its own: no exchange for it.
                cfg.Publish<IIntegrationEvent>(p => p.Exclude = true);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>
    /// With <c>BodyCam:DeployTopology=true</c> the process declares its queues, exchanges and bindings
    /// (MassTransit's, and the delay queues) and exits instead of serving: run before anything publishes.
    /// </summary>
    public static async Task<bool> DeployTopologyIfAskedAsync(this WebApplication app)
    {
        if (!app.Configuration.GetValue("BodyCam:DeployTopology", false))
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await app.Services.GetRequiredService<IBusControl>().DeployAsync(timeout.Token);
        await app.Services.GetRequiredService<RedeliveryBroker>().DeclareAsync(timeout.Token);
        Console.WriteLine($"Topology of {app.Services.GetRequiredService<ServiceQueues>().Prefix} deployed.");
        return true;
    }

    /// <summary>
    /// How every queue of the service is made, whether configured at start or connected later (the
    /// audit chain's, by its elected writer): known to redelivery, no fault events, and a quorum queue
    /// on a cluster.
    /// </summary>
    public static void AsServiceQueue(this IReceiveEndpointConfigurator endpoint, ServiceQueues queues, string name)
    {
        queues.Add(name);
        // No Fault<T> events: nothing consumes them, a service's user may not declare their
        // exchanges (least privilege), and a refused fault publish kept the message from ever
        // reaching its error queue. The error queue, its count and the log say it instead.
        endpoint.PublishFaults = false;
        if (queues.Quorum && !ServiceQueues.IsInstanceQueue(name) && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
            // One instance at a time takes a queue's facts (RabbitMQ's single active consumer), so a
            // camera's facts still apply in the order they were published, however many instances
            // run; when it goes, the broker hands the queue to another instance at once. Instances
            // taking one queue side by side stored a camera's assignment over its recording state.
            rabbit.SingleActiveConsumer = true;
        }
    }

    private static string ServicePrefix(WebApplicationBuilder builder) =>
        (builder.Configuration["BodyCam:Service"] ?? builder.Environment.ApplicationName.Replace("BodyCam.", "", StringComparison.Ordinal)).ToLowerInvariant();
}
