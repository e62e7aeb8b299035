using System.Diagnostics;

namespace BodyCam.Bench;

/// <summary>Waits until RabbitMQ's consumed queues are empty, so one measurement does not pay for the last one's backlog.</summary>
public static class Quiet
{
    public static async Task WaitAsync(string vhost)
    {
        var started = Stopwatch.GetTimestamp();
        var said = false;
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(5))
        {
            var waiting = await QueuedAsync(vhost);
            if (waiting is null or 0)
            {
                return;
            }

            if (!said)
            {
                Console.WriteLine($"  waiting for {waiting} queued messages to be worked off first");
                said = true;
            }

            await Task.Delay(500);
        }

        Console.WriteLine("  the queues did not empty in 5 minutes; measuring anyway");
    }

    /// <summary>Messages waiting in queues that have consumers, or null when rabbitmqctl cannot be asked.</summary>
    public static async Task<long?> QueuedAsync(string vhost)
    {
        try
        {
            var info = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "-q", "list_queues", "-p", vhost, "messages", "consumers" })
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                return null;
            }

            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('\t', ' '))
                .Where(f => f.Length >= 2 && long.TryParse(f[0], out _) && long.TryParse(f[^1], out var consumers) && consumers > 0)
                .Sum(f => long.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
