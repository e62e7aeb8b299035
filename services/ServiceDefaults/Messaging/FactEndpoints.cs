using System.Linq.Expressions;
using System.Reflection;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>
/// How a service takes the facts it keeps: one queue for a group of <see cref="IdempotentConsumer{TMessage}"/>s,
/// many messages in flight so the <see cref="FactWriter"/> can store them a batch at a time, and one
/// partition per camera, so a camera's facts apply in the order they were published (an end never
/// overtakes its start) while different cameras' go side by side.
/// </summary>
public static class FactEndpoints
{
    /// <summary>At most this many messages in one batch: one per partition.</summary>
    public const int Partitions = 64;

    private static readonly MethodInfo PartitionByCamera = typeof(FactEndpoints).GetMethod(nameof(Partition), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static IBusRegistrationConfigurator AddFactEndpoint(this IBusRegistrationConfigurator bus, string name, params Type[] consumers)
    {
        bus.TryAddSingleton<FactWriter>();
        bus.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FactWriter>(sp => sp.GetRequiredService<FactWriter>()));
        foreach (var consumer in consumers)
        {
            bus.AddConsumer(consumer).Endpoint(e =>
            {
                e.Name = name;
                // Room for the partitions to fill while a batch is being stored.
                e.ConcurrentMessageLimit = Partitions * 2;
                e.PrefetchCount = Partitions * 4;
            });
        }

        var messages = consumers.SelectMany(MessagesOf).Distinct().ToArray();
        bus.AddConfigureEndpointsCallback((endpointName, endpoint) =>
        {
            if (endpointName != name)
            {
                return;
            }

            var byCamera = new Partitioner(Partitions, new Murmur3UnsafeHashGenerator());
            foreach (var message in messages)
            {
                PartitionByCamera.MakeGenericMethod(message).Invoke(null, [endpoint, byCamera]);
            }
        });
        return bus;
    }

    private static void Partition<TMessage>(IReceiveEndpointConfigurator endpoint, IPartitioner partitioner)
        where TMessage : class =>
        endpoint.UsePartitioner<TMessage>(partitioner, c => Subject<TMessage>.Key(c));

    private static IEnumerable<Type> MessagesOf(Type consumer) =>
        consumer.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0]);

    /// <summary>The camera a fact is about; a fact about no camera is a partition of its own.</summary>
    private static class Subject<TMessage>
        where TMessage : class
    {
        private static readonly Func<TMessage, string?>? CameraId = typeof(TMessage).GetProperty("CameraId") is { } property && property.PropertyType == typeof(string)
            ? CompileGetter(property)
            : null;

        public static Guid Key(ConsumeContext<TMessage> context) =>
            CameraId?.Invoke(context.Message) is { } camera
                ? new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(camera)).AsSpan(0, 16))
                : context.MessageId ?? Guid.Empty;

        private static Func<TMessage, string?> CompileGetter(PropertyInfo property)
        {
            var message = Expression.Parameter(typeof(TMessage));
            return Expression.Lambda<Func<TMessage, string?>>(Expression.Property(message, property), message).Compile();
        }
    }
}
