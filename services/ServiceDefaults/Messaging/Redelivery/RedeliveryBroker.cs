using System.Globalization;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace BodyCam.ServiceDefaults.Messaging.Redelivery;

/// <summary>A message in an error queue, as the admin route lists it: never its content, which may be personal data.</summary>
public sealed record DeadLetter(string Queue, string? MessageId, string? MessageType, string? Reason, string? ExceptionType, DateTimeOffset? FailedAt, int Redeliveries, int Bytes);

/// <summary>
/// The part of redelivery MassTransit does not do with RabbitMQ's own features: delay queues with a
/// fixed time to live that dead-letter back (RabbitMQ's delayed-message plugin is not in the OS
/// packages), and reading, counting and replaying error queues. It speaks AMQP directly on a
/// connection of its own, as the service's own RabbitMQ user, and touches only the service's own
/// queues and exchanges (<c>{service}-…</c>).
/// <para>
/// A delayed message goes to the fanout exchange <c>{service}-delay-{n}s</c> with its queue's name as
/// routing key; the delay queue behind it dead-letters each message after n seconds to the direct
/// exchange <c>{service}-redeliver</c>, which routes it by that key back to its queue. One queue per
/// wait, so no message waits behind a longer one.
/// </para>
/// </summary>
public sealed class RedeliveryBroker(IConfiguration configuration, ServiceQueues queues, IOptions<DelayedRedeliveryOptions> options, ILogger<RedeliveryBroker> log) : IAsyncDisposable
{
    public const string RedeliveryHeader = "BodyCam-Redelivery";
    public const string FirstFailedHeader = "BodyCam-First-Failed";
    public const string LastErrorHeader = "BodyCam-Last-Error";

    private static readonly string[] Dropped = ["x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason"];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _bound = new(StringComparer.Ordinal);
    private IConnection? _connection;
    private IChannel? _channel;
    private bool _declared;

    public ServiceQueues Queues => queues;

    /// <summary>Declares the redeliver exchange and a delay queue per wait; safe to call again.</summary>
    public async Task DeclareAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await DeclareLockedAsync(await ChannelLockedAsync(cancellationToken), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Parks a copy of the message in the delay queue for its next wait; the caller then lets the delivery go.</summary>
    public async Task DelayAsync(ReceiveContext receive, string queue, int redelivery, DateTimeOffset firstFailed, Exception error, CancellationToken cancellationToken)
    {
        var delay = options.Value.DelayFor(redelivery);
        var properties = Copy(receive);
        properties.Headers![RedeliveryHeader] = redelivery;
        properties.Headers[FirstFailedHeader] = firstFailed.ToString("O", CultureInfo.InvariantCulture);
        properties.Headers[LastErrorHeader] = Shorten($"{error.GetType().Name}: {error.Message}", 500);
        var body = receive.Body.GetBytes();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var channel = await ChannelLockedAsync(cancellationToken);
            await DeclareLockedAsync(channel, cancellationToken);
            await BindLockedAsync(channel, queue, cancellationToken);
            // Confirmed by the broker before the delivery is acknowledged: a crash between the two
            // leaves the message twice (the consumer's handled ids drop the repeat), never nowhere.
            await channel.BasicPublishAsync(queues.DelayQueue(delay), queue, mandatory: true, properties, body, cancellationToken);
        }
        catch
        {
            await ResetLockedAsync();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>How many messages wait in each of the service's error queues (those that exist).</summary>
    public async Task<IReadOnlyDictionary<string, uint>> CountAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, uint>(StringComparer.Ordinal);
        var connection = await ConnectionAsync(cancellationToken);
        foreach (var queue in queues.Names)
        {
            // A passive declare of a queue that does not exist closes its channel: one channel each.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                counts[queue] = (await channel.QueueDeclarePassiveAsync(ServiceQueues.ErrorQueue(queue), cancellationToken)).MessageCount;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                counts[queue] = 0;
            }
        }

        return counts;
    }

    /// <summary>The messages in the error queues, oldest first, up to <paramref name="limit"/>; they stay where they are.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        var connection = await ConnectionAsync(cancellationToken);
        foreach (var queue in queues.Names)
        {
            // Read without acknowledging; closing the channel puts every message back where it was.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                while (letters.Count < limit && await channel.BasicGetAsync(ServiceQueues.ErrorQueue(queue), autoAck: false, cancellationToken) is { } got)
                {
                    letters.Add(Describe(queue, got));
                }
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
            }

            await channel.CloseAsync(cancellationToken);
        }

        return letters;
    }

    /// <summary>
    /// Sends messages from an error queue back to their queue, as they first arrived (the fault's
    /// headers and the redelivery count removed): every one, or those with the given message ids.
    /// </summary>
    public async Task<IReadOnlyList<DeadLetter>> ReplayAsync(string queue, IReadOnlySet<string>? messageIds, int limit, CancellationToken cancellationToken)
    {
        var replayed = new List<DeadLetter>();
        var connection = await ConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        await DeclareLockedAsync(channel, cancellationToken);
        await channel.QueueBindAsync(queue, queues.RedeliverExchange, queue, cancellationToken: cancellationToken);
        var scanned = 0;
        try
        {
            while (scanned++ < 100_000 && replayed.Count < limit && await channel.BasicGetAsync(ServiceQueues.ErrorQueue(queue), autoAck: false, cancellationToken) is { } got)
            {
                if (messageIds is not null && !messageIds.Contains(got.BasicProperties.MessageId ?? ""))
                {
                    continue;
                }

                var properties = new BasicProperties(got.BasicProperties) { Headers = Clean(got.BasicProperties.Headers, fault: true) };
                await channel.BasicPublishAsync(queues.RedeliverExchange, queue, mandatory: true, properties, got.Body, cancellationToken);
                await channel.BasicAckAsync(got.DeliveryTag, multiple: false, cancellationToken);
                replayed.Add(Describe(queue, got));
            }
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
        }

        // Messages looked at and not chosen go back to where they were.
        await channel.CloseAsync(cancellationToken);
        return replayed;
    }

    /// <summary>How many times the message has come back from a delay queue, and when it first failed.</summary>
    public static (int Redeliveries, DateTimeOffset? FirstFailed) History(ReceiveContext receive)
    {
        var redeliveries = receive.TransportHeaders.TryGetHeader(RedeliveryHeader, out var count) ? ToInt(count) : 0;
        DateTimeOffset? first = receive.TransportHeaders.TryGetHeader(FirstFailedHeader, out var at)
            && DateTimeOffset.TryParse(ToText(at), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed) ? parsed : null;
        return (redeliveries, first);
    }

    private static DeadLetter Describe(string queue, BasicGetResult got)
    {
        var headers = got.BasicProperties.Headers;
        string? Header(string name) => headers is not null && headers.TryGetValue(name, out var value) ? ToText(value) : null;
        DateTimeOffset? failed = DateTimeOffset.TryParse(Header("MT-Fault-Timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;
        return new DeadLetter(queue, got.BasicProperties.MessageId, MessageType(got.Body.Span), Shorten(Header("MT-Fault-Message") ?? Header("MT-Reason"), 500),
            Header("MT-Fault-ExceptionType"), failed, headers is not null && headers.TryGetValue(RedeliveryHeader, out var n) ? ToInt(n) : 0, got.Body.Length);
    }

    /// <summary>The message's type from MassTransit's envelope (<c>urn:message:Namespace:Type</c>), or null.</summary>
    private static string? MessageType(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0
                ? types[0].GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static BasicProperties Copy(ReceiveContext receive)
    {
        var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, Headers = new Dictionary<string, object?>(StringComparer.Ordinal) };
        if (receive.TryGetPayload<RabbitMqBasicConsumeContext>(out var basic))
        {
            var source = basic.Properties;
            properties.ContentType = source.ContentType;
            properties.MessageId = source.MessageId;
            properties.CorrelationId = source.CorrelationId;
            properties.Type = source.Type;
            properties.Headers = Clean(source.Headers, fault: false);
        }
        else
        {
            properties.ContentType = receive.ContentType?.MediaType;
            foreach (var header in receive.TransportHeaders.GetAll())
            {
                properties.Headers[header.Key] = header.Value?.ToString();
            }
        }

        return properties;
    }

    private static Dictionary<string, object?> Clean(IDictionary<string, object?>? headers, bool fault)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in headers ?? new Dictionary<string, object?>())
        {
            if (Dropped.Contains(key, StringComparer.OrdinalIgnoreCase)
                || (fault && (key.StartsWith("MT-Fault-", StringComparison.OrdinalIgnoreCase) || key is "MT-Reason" or "MT-Host-MachineName" || key.StartsWith("BodyCam-Redelivery", StringComparison.Ordinal) || key is FirstFailedHeader or LastErrorHeader)))
            {
                continue;
            }

            copy[key] = value;
        }

        return copy;
    }

    private async Task DeclareLockedAsync(IChannel channel, CancellationToken cancellationToken)
    {
        if (_declared && ReferenceEquals(channel, _channel))
        {
            return;
        }

        await channel.ExchangeDeclareAsync(queues.RedeliverExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        foreach (var delay in options.Value.EffectiveDelays.Distinct())
        {
            var name = queues.DelayQueue(delay);
            await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            var arguments = new Dictionary<string, object?>
            {
                ["x-message-ttl"] = (long)delay.TotalMilliseconds,
                ["x-dead-letter-exchange"] = queues.RedeliverExchange,
            };
            if (queues.Quorum)
            {
                arguments["x-queue-type"] = "quorum";
            }

            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(name, name, "", cancellationToken: cancellationToken);
        }

        if (ReferenceEquals(channel, _channel))
        {
            _declared = true;
        }
    }

    private async Task BindLockedAsync(IChannel channel, string queue, CancellationToken cancellationToken)
    {
        if (_bound.Add(queue))
        {
            try
            {
                await channel.QueueBindAsync(queue, queues.RedeliverExchange, queue, cancellationToken: cancellationToken);
            }
            catch
            {
                _bound.Remove(queue);
                throw;
            }
        }
    }

    private async Task<IChannel> ChannelLockedAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        _declared = false;
        _bound.Clear();
        var connection = await ConnectionAsync(cancellationToken);
        _channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        return _channel;
    }

    private async Task<IConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open)
        {
            return open;
        }

        var uri = configuration.GetConnectionString("rabbitmq") ?? throw new InvalidOperationException("ConnectionStrings:rabbitmq is not set.");
        var factory = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = $"{queues.Prefix}-redelivery", AutomaticRecoveryEnabled = true };
        var previous = _connection;
        _connection = await factory.CreateConnectionAsync(cancellationToken);
        if (previous is not null)
        {
            await previous.DisposeAsync();
        }

        return _connection;
    }

    private async Task ResetLockedAsync()
    {
        try
        {
            if (_channel is not null)
            {
                await _channel.DisposeAsync();
            }
        }
        catch (Exception e)
        {
            log.LogDebug(e, "Closing the redelivery channel failed");
        }

        _channel = null;
        _declared = false;
        _bound.Clear();
    }

    private static int ToInt(object? value) => value switch
    {
        int i => i,
        long l => (int)l,
        byte[] bytes when int.TryParse(Encoding.UTF8.GetString(bytes), CultureInfo.InvariantCulture, out var parsed) => parsed,
        string text when int.TryParse(text, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => 0,
    };

    private static string? ToText(object? value) => value switch
    {
        null => null,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        _ => value.ToString(),
    };

    private static string? Shorten(string? text, int max) => text is null || text.Length <= max ? text : text[..max];

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _gate.Dispose();
    }
}
