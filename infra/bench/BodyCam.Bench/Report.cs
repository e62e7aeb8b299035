using System.Text.Json;

namespace BodyCam.Bench;

/// <summary>A measured figure with its conditions and the aim it is held against.</summary>
public sealed record Figure(string Name, double Value, string Unit, string Conditions, string? Aim = null);

/// <summary>Collects figures, prints them as they come and writes them as Markdown and JSON.</summary>
public sealed class Report
{
    private readonly List<Figure> _figures = [];

    public static string Machine =>
        $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}";

    public void Add(Figure figure)
    {
        _figures.Add(figure);
        Console.WriteLine($"  {figure.Name}: {figure.Value:0.###} {figure.Unit}{(figure.Aim is null ? "" : $"   (aim: {figure.Aim})")}");
        Console.WriteLine($"      {figure.Conditions}");
    }

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var at = DateTimeOffset.UtcNow;
        var json = JsonSerializer.Serialize(new { at, machine = Machine, figures = _figures }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
        File.WriteAllText(Path.Combine(directory, "bench.json"), json);
        var lines = new List<string>
        {
            $"# BodyCam benchmark, {at:yyyy-MM-dd HH:mm} UTC",
            "",
            $"Machine: {Machine}. PostgreSQL and RabbitMQ on the same machine.",
            "",
            "| figure | value | aim | conditions |",
            "|---|---|---|---|",
        };
        lines.AddRange(_figures.Select(f => $"| {f.Name} | {f.Value:0.###} {f.Unit} | {f.Aim ?? "-"} | {f.Conditions} |"));
        File.WriteAllLines(Path.Combine(directory, "bench.md"), lines);
        Console.WriteLine($"Report written to {Path.Combine(directory, "bench.md")} and bench.json");
    }

    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
