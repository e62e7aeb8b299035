using System.Collections;
using System.Runtime.CompilerServices;

namespace BodyCam.Audit.Monitoring;

/// <summary>
/// One viewer's earlier access facts over the last <see cref="MisuseRules.HistoryWindow"/>, in chain
/// order, as the rules read them. It answers the rules' questions without walking the whole month:
/// recent facts are read newest first until the window is passed, and the hours of day (UK time) of
/// the month's granted views are counted as facts come and go; each officer watched has a list of
/// their own. A viewer who watches thousands of times a month costs each new fact only the facts
/// inside the rule's own window. Memory is bounded: past <see cref="MaxFacts"/> the oldest are
/// forgotten early (a viewer that busy is never short of facts for any rule's window).
/// </summary>
[CollectionBuilder(typeof(ViewerHistory), nameof(Create))]
public sealed class ViewerHistory : IEnumerable<ViewFact>
{
    /// <summary>Facts reach the chain in the order audit recorded them, not strictly by their time: read this far past a window.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(5);

    private static readonly TimeZoneInfo Uk = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    /// <summary>The most facts held for one viewer.</summary>
    public const int MaxFacts = 10_000;

    private readonly List<ViewFact> _facts = [];
    private readonly Dictionary<string, List<ViewFact>> _byOfficer = [];
    private readonly int[] _grantedByHour = new int[24];
    private int _first;

    public static ViewerHistory Create(ReadOnlySpan<ViewFact> facts)
    {
        var history = new ViewerHistory();
        foreach (var fact in facts)
        {
            history.Add(fact);
        }

        return history;
    }

    public static implicit operator ViewerHistory(List<ViewFact> facts) => Create(facts.ToArray());

    /// <summary>The facts held, oldest first.</summary>
    public int Count => _facts.Count - _first;

    /// <summary>The newest sequence number held (0 when empty).</summary>
    public long LastSeq => Count == 0 ? 0 : _facts[^1].Seq;

    /// <summary>Views granted among the facts held.</summary>
    public int GrantedCount => _grantedByHour.Sum();

    /// <summary>Adds the viewer's next fact; one at or before the newest held (a page seen again) is ignored.</summary>
    public void Add(ViewFact fact)
    {
        if (fact.Seq <= LastSeq)
        {
            return;
        }

        _facts.Add(fact);
        if (fact.Kind == ViewKind.Granted)
        {
            _grantedByHour[HourOf(fact.At)]++;
        }

        if (fact.OfficerId is { } officer)
        {
            if (!_byOfficer.TryGetValue(officer, out var watched))
            {
                _byOfficer[officer] = watched = [];
            }

            watched.Add(fact);
        }

        if (Count > MaxFacts)
        {
            ForgetFirst(Count - MaxFacts);
        }
    }

    /// <summary>Forgets the oldest facts, up to the first one after <paramref name="before"/>.</summary>
    public void Forget(DateTimeOffset before)
    {
        var count = 0;
        while (_first + count < _facts.Count && _facts[_first + count].At <= before)
        {
            count++;
        }

        ForgetFirst(count);
    }

    private void ForgetFirst(int count)
    {
        if (count == 0)
        {
            return;
        }

        for (var i = _first; i < _first + count; i++)
        {
            var fact = _facts[i];
            if (fact.Kind == ViewKind.Granted)
            {
                _grantedByHour[HourOf(fact.At)]--;
            }

            // Facts leave in the order they came, so a forgotten fact is the first of its officer's list.
            if (fact.OfficerId is { } officer && _byOfficer.TryGetValue(officer, out var watched))
            {
                watched.RemoveAt(0);
                if (watched.Count == 0)
                {
                    _byOfficer.Remove(officer);
                }
            }
        }

        _first += count;
        if (_first > 1024 && _first > _facts.Count / 2)
        {
            _facts.RemoveRange(0, _first);
            _first = 0;
        }
    }

    /// <summary>The facts before <paramref name="seq"/> that happened in the <paramref name="window"/> before <paramref name="at"/>, newest first.</summary>
    public IEnumerable<ViewFact> Within(long seq, DateTimeOffset at, TimeSpan window) => Within(_facts, _first, seq, at, window);

    /// <summary>The facts about <paramref name="officer"/> before <paramref name="seq"/> in the <paramref name="window"/> before <paramref name="at"/>, newest first.</summary>
    public IEnumerable<ViewFact> Within(string officer, long seq, DateTimeOffset at, TimeSpan window) =>
        _byOfficer.TryGetValue(officer, out var watched) ? Within(watched, 0, seq, at, window) : [];

    private static IEnumerable<ViewFact> Within(List<ViewFact> facts, int first, long seq, DateTimeOffset at, TimeSpan window)
    {
        var since = at - window;
        for (var i = facts.Count - 1; i >= first; i--)
        {
            var fact = facts[i];
            if (fact.At <= since - Slack)
            {
                yield break;
            }

            if (fact.Seq < seq && fact.At > since)
            {
                yield return fact;
            }
        }
    }

    /// <summary>Whether a view was granted within <paramref name="hours"/> of the hour of day (UK time) of <paramref name="at"/>.</summary>
    public bool GrantedNearHourOf(DateTimeOffset at, int hours)
    {
        var hour = HourOf(at);
        for (var d = -hours; d <= hours; d++)
        {
            if (_grantedByHour[(hour + d + 24) % 24] > 0)
            {
                return true;
            }
        }

        return false;
    }

    public static int HourOf(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Uk).Hour;

    public static DateTimeOffset UkTime(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Uk);

    public IEnumerator<ViewFact> GetEnumerator()
    {
        for (var i = _first; i < _facts.Count; i++)
        {
            yield return _facts[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
