using System.Diagnostics;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using BodyCam.Launcher;

namespace BodyCam.Testing;

/// <summary>
/// One BodyCam process running from the built binaries, as <c>./bodycam up</c> runs it: the program
/// <see cref="SystemDefinition"/> names, with the settings it gives. Its output is kept, and quoted when it fails to start.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}/");

    public bool HasExited => _process.HasExited;

    /// <summary>The process id, for reading its CPU time from /proc.</summary>
    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ServiceProcess Start(string name, int port, IReadOnlyDictionary<string, string> environment)
    {
        var dll = BinaryOf(name);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var service = new ServiceProcess(name, port, process);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Runs a command of a built program (<c>dotnet its.dll args</c>) to its end; its standard output, or an exception quoting both outputs.</summary>
    public static Task<string> RunAsync(string name, params string[] arguments) => RunAsync(name, new Dictionary<string, string>(), arguments);

    /// <summary>As <see cref="RunAsync(string, string[])"/>, with settings in the environment, from the program's own directory.</summary>
    public static async Task<string> RunAsync(string name, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var dll = BinaryOf(name);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(dll)! };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? (await output).Trim()
            : throw new InvalidOperationException($"{name} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await error}");
    }

    /// <summary>Waits until <paramref name="path"/> answers 200, or fails quoting the service's output.</summary>
    public async Task WaitUntilAsync(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before {path} answered:\n{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Address, path));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} did not answer {path} within {timeout}:\n{Tail()}");
    }

    /// <summary>Ends the process at once, as a crash or a power cut would: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public string Tail(int lines = 60)
    {
        var all = Output.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    public static int FreePort() => FreePorts(1)[0];

    /// <summary>
    /// Ports free now and all different: each is held until every one is chosen. Chosen one at a time,
    /// two processes of a system could be given the same port; the second then failed to bind, and its
    /// readiness check was answered by the first (a CI run's every end-to-end test got 404 from the
    /// service that held ingest's port).
    /// </summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(System.Net.IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((System.Net.IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>The build configuration of the tests, whose binaries of the services they run.</summary>
    public static string Configuration { get; } = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The process's built dll, as the system's definition names it, from the same build configuration as the tests.</summary>
    private static string BinaryOf(string name)
    {
        var dll = SystemDefinition.Process(name).Binary(RepositoryRoot(), Configuration);
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{dll} is missing: build the solution in {Configuration} first ('./bodycam test' does).");
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BodyCam.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("BodyCam.sln not found above " + AppContext.BaseDirectory);
    }
}
