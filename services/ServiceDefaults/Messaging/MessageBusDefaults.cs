using BodyCam.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

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

        builder.Services.AddMassTransit(x =>
        {
            // Queues are named for the service that owns them: ingest-camera-registered, audit-…
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(ServicePrefix(builder), false));
            // MassTransit otherwise reports the host and its endpoints to usage-tracking.masstransit.io:
            // nothing about a force's systems leaves its network.
            x.DisableUsageTelemetry();
            consumers?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(uri), h => h.ConnectionName(service));
                // Short retries for passing faults, then longer ones for a dependency that is down.
                // A message that still fails lands in the endpoint's _error queue: kept, never dropped.
                cfg.UseMessageRetry(r => r.Exponential(8, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)));
                // The marker interface is not a message of its own: no exchange for it.
                cfg.Publish<IIntegrationEvent>(p => p.Exclude = true);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    private static string ServicePrefix(WebApplicationBuilder builder) =>
        (builder.Configuration["BodyCam:Service"] ?? builder.Environment.ApplicationName.Replace("BodyCam.", "", StringComparison.Ordinal)).ToLowerInvariant();
}
