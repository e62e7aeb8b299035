using BodyCam.Simulator;

// bodycam-sim [--gateway URL] [--password P] [--officers N] [--area west-midlands|greater-manchester] [--seed N] [--no-video] [--batch-seconds N] [--clips DIR]
string Option(string name, string fallback)
{
    var at = Array.IndexOf(args, $"--{name}");
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

var options = new SimulatorOptions(
    new Uri(Option("gateway", "http://127.0.0.1:8080/")),
    Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"),
    int.Parse(Option("officers", "24"), System.Globalization.CultureInfo.InvariantCulture),
    Area.Named(Option("area", "west-midlands")),
    int.Parse(Option("seed", "7"), System.Globalization.CultureInfo.InvariantCulture),
    Option("clips", Path.Combine(Path.GetTempPath(), "bodycam-sim")),
    Video: !args.Contains("--no-video"),
    Batch: TimeSpan.FromSeconds(int.Parse(Option("batch-seconds", "5"), System.Globalization.CultureInfo.InvariantCulture)));

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

Console.WriteLine($"BodyCam simulator: {options.Officers} officers in {options.Area.Name} via {options.Gateway}{(options.Video ? ", live video while recording" : "")}");
try
{
    await new Force(options).RunAsync(stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
}

Console.WriteLine("Simulator stopped.");
