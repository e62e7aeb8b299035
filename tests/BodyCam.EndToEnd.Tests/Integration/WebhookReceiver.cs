using System.Collections.Concurrent;
using System.Net;
using System.Net.Mime;
using BodyCam.Testing;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace BodyCam.EndToEnd.Tests.Integration;

/// <summary>One request as the receiver saw it: the CloudEvent as the SDK parsed it, whether its signature held, what we answered.</summary>
internal sealed record Received(int Attempt, CloudEvent? Event, bool SignatureValid, string? SignatureError, HttpStatusCode Answer, string Body);

/// <summary>
/// A CAD system's webhook endpoint, as the force's own engineers would write it: Kestrel, the
/// CloudEvents SDK to parse (CloudNative.CloudEvents) and the Standard Webhooks library to check the
/// signature. How it answers is the test's to decide: fail some attempts, fail forever, or hang.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private static readonly JsonEventFormatter Formatter = new();
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private int _attempts;

    private WebhookReceiver(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>The shared secret to check signatures with; set once the subscription has one.</summary>
    public string? Secret { get; set; }

    /// <summary>What to answer the nth request (1-based).</summary>
    public Func<int, HttpStatusCode> Answer { get; set; } = _ => HttpStatusCode.OK;

    /// <summary>How long to take before answering.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    public IReadOnlyList<Received> All => [.. _received];

    /// <summary>The events taken (answered 2xx), in the order they came.</summary>
    public IReadOnlyList<CloudEvent> Accepted => [.. _received.Where(r => (int)r.Answer < 300 && r.Event is not null).Select(r => r.Event!)];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = ServiceProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.2:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, new Uri($"http://127.0.0.2:{port}/cad/bodycam"));
        app.MapPost("/cad/bodycam", (Delegate)receiver.ReceiveAsync);
        await app.StartAsync();
        return receiver;
    }

    private async Task<IResult> ReceiveAsync(HttpContext http)
    {
        var attempt = Interlocked.Increment(ref _attempts);
        using var reader = new StreamReader(http.Request.Body);
        var body = await reader.ReadToEndAsync();
        CloudEvent? parsed = null;
        try
        {
            parsed = Formatter.DecodeStructuredModeMessage(System.Text.Encoding.UTF8.GetBytes(body), new ContentType(http.Request.ContentType!), null);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Text.Json.JsonException)
        {
        }

        string? signatureError = null;
        try
        {
            new StandardWebhook(Secret ?? throw new WebhookVerificationException("no secret yet")).Verify(body, http.Request.Headers);
        }
        catch (WebhookVerificationException e)
        {
            signatureError = e.Message;
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, http.RequestAborted);
        }

        var answer = Answer(attempt);
        _received.Enqueue(new Received(attempt, parsed, signatureError is null, signatureError, answer, body));
        return Results.StatusCode((int)answer);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
