using System.Net;
using System.Net.Sockets;

namespace BodyCam.Integration.Webhooks.Targets;

/// <summary>
/// Where webhooks may be sent. A CAD client names the URL, so without this rule it could make BodyCam
/// call anything BodyCam can reach (the services, PostgreSQL, the cloud's metadata service) and read
/// the answers back from dead letters. The rule is applied when a subscription is made and again to
/// every address a name resolves to at delivery time, so a name that later points inside is caught.
/// <list type="bullet">
/// <item>https only, unless <c>Integration:AllowHttpTargets</c> is true;</item>
/// <item>when <c>Integration:AllowedHosts</c> lists names (<c>cad.force.police.uk</c>, <c>*.force.police.uk</c>), the host must be one of them;</item>
/// <item>loopback, link-local (cloud metadata among them), private, carrier-grade NAT, multicast and
/// unspecified addresses are refused, unless they lie in a network of <c>Integration:AllowedNetworks</c>
/// (CIDR, such as the force's own CAD network <c>10.20.0.0/16</c>).</item>
/// </list>
/// </summary>
public sealed class WebhookTargets(IConfiguration configuration)
{
    private static readonly IPNetwork[] Inside =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
        IPNetwork.Parse("64:ff9b::/96"),
    ];

    private bool AllowHttp => configuration.GetValue("Integration:AllowHttpTargets", false);

    private IReadOnlyList<string> AllowedHosts => configuration.GetSection("Integration:AllowedHosts").Get<string[]>() ?? Split(configuration["Integration:AllowedHosts"]);

    private IReadOnlyList<IPNetwork> AllowedNetworks =>
        [.. (configuration.GetSection("Integration:AllowedNetworks").Get<string[]>() ?? Split(configuration["Integration:AllowedNetworks"])).Select(IPNetwork.Parse)];

    /// <summary>Why the URL may not be a target, judged without resolving its name; null when it may be.</summary>
    public string? RefuseUrl(Uri url)
    {
        if (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && AllowHttp))
        {
            return AllowHttp ? "A webhook URL is http or https." : "Webhooks are delivered over https only in this deployment.";
        }

        var hosts = AllowedHosts;
        if (hosts.Count > 0 && !hosts.Any(h => Matches(h, url.IdnHost)))
        {
            return $"'{url.IdnHost}' is not among the hosts this deployment delivers webhooks to.";
        }

        return IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var literal) ? RefuseAddress(literal) : null;
    }

    /// <summary>Why an address may not be called; null when it may be.</summary>
    public string? RefuseAddress(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (AllowedNetworks.Any(n => n.Contains(plain)))
        {
            return null;
        }

        return Inside.Any(n => n.Contains(plain))
            ? $"The address {plain} is inside ({Describe(plain)}); webhooks go only to receivers outside, or to networks the deployment allows."
            : null;
    }

    /// <summary>Resolves a name and refuses it when any of its addresses may not be called; null when it may be, or cannot be resolved now.</summary>
    public async Task<string?> RefuseResolvedAsync(Uri url, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out _))
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            addresses = await Dns.GetHostAddressesAsync(url.IdnHost, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Not resolvable now: nothing to judge yet; every delivery checks where the name points then.
            return null;
        }

        return addresses.Select(RefuseAddress).FirstOrDefault(r => r is not null);
    }

    /// <summary>
    /// Connects a delivery: resolves the host itself, refuses every address that may not be called,
    /// and connects to the first that may. The socket handler's own resolution is never used, so what
    /// was checked is what is called.
    /// </summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        ConnectAsync(context.DnsEndPoint, cancellationToken);

    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        var host = endPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        string? refusal = null;
        foreach (var address in addresses)
        {
            if (RefuseAddress(address) is { } why)
            {
                refusal ??= why;
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new TargetRefusedException(refusal ?? $"'{host}' resolves to no address.");
    }

    private static bool Matches(string pattern, string host) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);

    private static string Describe(IPAddress address) => address switch
    {
        _ when IPAddress.IsLoopback(address) => "loopback",
        { AddressFamily: AddressFamily.InterNetworkV6, IsIPv6LinkLocal: true } => "link-local",
        _ when address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, ..] => "link-local, where cloud metadata services answer",
        { AddressFamily: AddressFamily.InterNetworkV6, IsIPv6Multicast: true } => "multicast",
        _ => "a private or reserved range",
    };

    private static string[] Split(string? list) =>
        list?.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}

/// <summary>A delivery's target address is not one webhooks may be sent to.</summary>
public sealed class TargetRefusedException(string message) : HttpRequestException(message);
