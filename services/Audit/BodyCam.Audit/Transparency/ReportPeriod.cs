using System.Globalization;
using System.Text.RegularExpressions;

namespace BodyCam.Audit.Transparency;

/// <summary>
/// A calendar month in the force's time zone (<c>Transparency:TimeZone</c>, Europe/London by default),
/// named <c>yyyy-MM</c>, and the weeks (Monday to Sunday) that fall in it, cut at the month's ends.
/// </summary>
public sealed partial record ReportPeriod(string Name, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<ReportWeek> Weeks)
{
    public static bool TryParse(string? text, TimeZoneInfo zone, out ReportPeriod period)
    {
        period = null!;
        if (text is null || !MonthName().IsMatch(text)
            || !DateTime.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month)
            || month.Year < 2000 || month.Year > 9000)
        {
            return false;
        }

        period = Of(month, zone);
        return true;
    }

    /// <summary>The month that holds <paramref name="instant"/> in <paramref name="zone"/>.</summary>
    public static ReportPeriod Containing(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return Of(new DateTime(local.Year, local.Month, 1), zone);
    }

    /// <summary>The month before this one.</summary>
    public ReportPeriod Previous(TimeZoneInfo zone) => Containing(From.AddDays(-1), zone);

    public bool Contains(DateTimeOffset at) => at >= From && at < To;

    private static ReportPeriod Of(DateTime month, TimeZoneInfo zone)
    {
        var first = new DateTime(month.Year, month.Month, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var next = first.AddMonths(1);
        var weeks = new List<ReportWeek>();
        // Weeks start on Monday; the first and last are cut at the month's edges.
        for (var start = first; start < next;)
        {
            var monday = start.AddDays(-(((int)start.DayOfWeek + 6) % 7));
            var end = monday.AddDays(7) < next ? monday.AddDays(7) : next;
            weeks.Add(new ReportWeek(
                $"{ISOWeek.GetYear(start)}-W{ISOWeek.GetWeekOfYear(start):00}",
                Local(start, zone), Local(end, zone)));
            start = end;
        }

        return new ReportPeriod(first.ToString("yyyy-MM", CultureInfo.InvariantCulture), Local(first, zone), Local(next, zone), weeks);
    }

    private static DateTimeOffset Local(DateTime wallClock, TimeZoneInfo zone) =>
        new(wallClock, zone.GetUtcOffset(wallClock));

    [GeneratedRegex(@"^\d{4}-\d{2}$")]
    private static partial Regex MonthName();
}

/// <summary>An ISO week (<c>2026-W48</c>), or the part of it inside the report's month.</summary>
public sealed record ReportWeek(string Name, DateTimeOffset From, DateTimeOffset To)
{
    public bool Contains(DateTimeOffset at) => at >= From && at < To;
}
