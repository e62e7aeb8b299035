using BodyCam.Audit.Monitoring;
using Xunit;

namespace BodyCam.Audit.Tests;

/// <summary>A viewer's month of facts as the rules read it: windows newest first, hours counted as facts come and go.</summary>
public sealed class ViewerHistoryTests
{
    private static readonly DateTimeOffset Morning = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    private static ViewFact View(long seq, DateTimeOffset at, ViewKind kind = ViewKind.Granted) =>
        new(seq, kind, at, "officer1", "officer", "B", "officer2", "B", "CAM-1", "officer-safety", null);

    [Fact]
    public void A_window_holds_only_earlier_facts_inside_it_newest_first()
    {
        ViewerHistory history = [View(1, Morning.AddHours(-30)), View(2, Morning.AddHours(-5)), View(3, Morning.AddHours(-1)), View(4, Morning.AddMinutes(1))];

        Assert.Equal([3L, 2L], history.Within(4, Morning, TimeSpan.FromHours(24)).Select(f => f.Seq));
        Assert.Equal([3L], history.Within(3 + 1, Morning, TimeSpan.FromHours(2)).Select(f => f.Seq));
    }

    [Fact]
    public void A_fact_seen_again_is_not_counted_twice()
    {
        var history = new ViewerHistory();
        history.Add(View(1, Morning));
        history.Add(View(2, Morning.AddMinutes(1)));
        history.Add(View(2, Morning.AddMinutes(1)));
        history.Add(View(1, Morning));

        Assert.Equal(2, history.Count);
        Assert.Equal(2, history.GrantedCount);
    }

    [Fact]
    public void Forgotten_facts_leave_the_hours_of_day_and_the_count()
    {
        // Winter, so UK time is UTC all along.
        var end = new DateTimeOffset(2027, 2, 20, 10, 0, 0, TimeSpan.Zero);
        var history = new ViewerHistory();
        for (var day = 0; day < 40; day++)
        {
            history.Add(View(day + 1, end.AddDays(day - 60).AddHours(day < 20 ? 0 : 8), day % 4 == 0 ? ViewKind.Refused : ViewKind.Granted));
        }

        Assert.True(history.GrantedNearHourOf(end, 0));
        // Forget the first twenty days: only the views at 18:00 are left.
        history.Forget(end.AddDays(-41));

        Assert.Equal(20, history.Count);
        Assert.Equal(15, history.GrantedCount);
        Assert.False(history.GrantedNearHourOf(end, 2));
        Assert.True(history.GrantedNearHourOf(end.AddHours(6), 2));
        Assert.False(history.GrantedNearHourOf(end.AddHours(5), 2));
        Assert.Equal(Enumerable.Range(21, 20).Select(i => (long)i), history.Select(f => f.Seq));
    }

    [Fact]
    public void A_heavy_viewers_month_is_read_only_as_far_as_the_window()
    {
        // A control room operator with a view every minute for a month: the burst rule looks at ten minutes of it.
        var history = new ViewerHistory();
        for (var i = 0; i < 43_200; i++)
        {
            history.Add(View(i + 1, Morning.AddMinutes(i - 43_200), ViewKind.Refused));
        }

        var read = 0;
        foreach (var _ in history.Within(43_201, Morning, RefusalBurst.Window))
        {
            read++;
        }

        Assert.Equal(9, read);
        Assert.NotNull(new RefusalBurst().Check(View(43_201, Morning, ViewKind.Refused), history));
    }
}
