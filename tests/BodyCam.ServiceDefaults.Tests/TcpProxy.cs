using System.Net;
using System.Net.Sockets;

namespace BodyCam.ServiceDefaults.Tests;

/// <summary>
/// A TCP relay between a service and a real server, which a test can cut: every open connection is
/// closed and new ones are refused until it is restored. To the service, the server is down.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> _open = [];
    private volatile bool _cut;

    public TcpProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var (client, upstream) in _open)
            {
                client.Close();
                upstream.Close();
            }

            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            if (_cut)
            {
                client.Close();
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_host, _port, _stop.Token);
            lock (_open)
            {
                _open.Add((client, upstream));
            }

            var a = client.GetStream().CopyToAsync(upstream.GetStream(), _stop.Token);
            var b = upstream.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
            await Task.WhenAny(a, b);
        }
        catch (Exception)
        {
            // A cut or a closed end: the relay ends.
        }
        finally
        {
            client.Close();
            upstream.Close();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
