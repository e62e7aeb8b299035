using System.Net;
using BodyCam.Integration.Webhooks.Targets;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace BodyCam.Integration.Tests;

public sealed class WebhookTargetsTests
{
    private static WebhookTargets Targets(params (string Key, string Value)[] settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.5.6.7")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.4.4")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    public void Addresses_inside_are_refused(string address) =>
        Assert.NotNull(Targets().RefuseAddress(IPAddress.Parse(address)));

    [Theory]
    [InlineData("81.2.69.160")]
    [InlineData("2a00:1450:4009:81f::200e")]
    public void Addresses_outside_are_allowed(string address) =>
        Assert.Null(Targets().RefuseAddress(IPAddress.Parse(address)));

    [Fact]
    public void A_network_the_deployment_allows_is_allowed_and_nothing_else_inside_is()
    {
        var targets = Targets(("Integration:AllowedNetworks", "10.20.0.0/16"));

        Assert.Null(targets.RefuseAddress(IPAddress.Parse("10.20.3.4")));
        Assert.NotNull(targets.RefuseAddress(IPAddress.Parse("10.21.3.4")));
        Assert.NotNull(targets.RefuseAddress(IPAddress.Parse("127.0.0.1")));
    }

    [Fact]
    public void Plain_http_is_refused_unless_the_deployment_allows_it()
    {
        Assert.NotNull(Targets().RefuseUrl(new Uri("http://cad.example/hook")));
        Assert.Null(Targets(("Integration:AllowHttpTargets", "true")).RefuseUrl(new Uri("http://cad.example/hook")));
        Assert.Null(Targets().RefuseUrl(new Uri("https://cad.example/hook")));
    }

    [Fact]
    public void When_hosts_are_listed_only_they_are_targets()
    {
        var targets = Targets(("Integration:AllowedHosts", "cad.force.police.uk,*.partners.police.uk"));

        Assert.Null(targets.RefuseUrl(new Uri("https://cad.force.police.uk/hook")));
        Assert.Null(targets.RefuseUrl(new Uri("https://ambulance.partners.police.uk/hook")));
        Assert.NotNull(targets.RefuseUrl(new Uri("https://evil.example/hook")));
        Assert.NotNull(targets.RefuseUrl(new Uri("https://cad.force.police.uk.evil.example/hook")));
    }

    [Fact]
    public async Task A_name_resolving_to_loopback_is_refused_at_subscription_and_never_connected_at_delivery()
    {
        var targets = Targets(("Integration:AllowHttpTargets", "true"));

        Assert.NotNull(await targets.RefuseResolvedAsync(new Uri("http://localhost:5432/"), CancellationToken.None));
        var connect = targets.ConnectAsync(new DnsEndPoint("localhost", 5432), CancellationToken.None);
        await Assert.ThrowsAsync<TargetRefusedException>(async () => await connect);
    }
}
