using System.Collections;
using System.Runtime.CompilerServices;

namespace BodyCam.Audit.Monitoring;

/// <summary>
/// One viewer's earlier access facts over the last <see cref="MisuseRules.HistoryWindow"/>, in chain
/// order, as the rules read them. It answers the rules' questions without walking the whole month:
/// recent facts are read newest first until the window is passed, and the hours of day (UK time) of
/// the month's granted views are counted as facts come and go. A viewer who watches thousands of
/// times a month costs each new fact only the facts inside the rule's own window.
/// </summary>
[CollectionBuilder(typeof(ViewerHistory), nameof(Create))]
public sealed class ViewerHistory : IEnumerable<ViewFact>
{
    /// <summary>Facts reach the chain in the order audit recorded them, not strictly by their time: read this far past a window.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(5);

    private static readonly TimeZoneInfo Uk = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    private readonly List<ViewFact> _facts = [];
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
    }

    /// <summary>Forgets the oldest facts, up to the first one after <paramref name="before"/>.</summary>
    public void Forget(DateTimeOffset before)
    {
        while (_first < _facts.Count && _facts[_first].At <= before)
        {
            if (_facts[_first].Kind == ViewKind.Granted)
            {
                _grantedByHour[HourOf(_facts[_first].At)]--;
            }

            _first++;
        }

        if (_first > 1024 && _first > _facts.Count / 2)
        {
            _facts.RemoveRange(0, _first);
            _first = 0;
        }
    }

    /// <summary>The facts before <paramref name="seq"/> that happened in the <paramref name="window"/> before <paramref name="at"/>, newest first.</summary>
    public IEnumerable<ViewFact> Within(long seq, DateTimeOffset at, TimeSpan window)
    {
        var since = at - window;
        for (var i = _facts.Count - 1; i >= _first; i--)
        {
            var fact = _facts[i];
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
