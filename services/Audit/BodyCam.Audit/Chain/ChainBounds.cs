using System.Globalization;
using Marten;

namespace BodyCam.Audit.Chain;

/// <summary>The <c>from</c> and <c>to</c> of the audit's range routes (export, verify): a sequence number, or a time when audit recorded the entries.</summary>
public static class ChainBounds
{
    /// <summary>A sequence number as given, or the first (last) entry recorded at or after (before) a time; the chain's ends when absent.</summary>
    public static async Task<(long Seq, string? Error)> ResolveAsync(IQuerySession session, string? given, bool lower, CancellationToken cancellationToken)
    {
        if (given is null)
        {
            if (lower)
            {
                return (1, null);
            }

            var head = await session.Query<AuditEntry>().OrderByDescending(e => e.Id).Select(e => e.Id).FirstOrDefaultAsync(cancellationToken);
            return (head, null);
        }

        if (long.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return seq >= 1 ? (seq, null) : (0, "a sequence number starts at 1.");
        }

        if (!DateTimeOffset.TryParse(given, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return (0, $"'{given}' is neither a sequence number nor an ISO 8601 time.");
        }

        var found = lower
            ? await session.Query<AuditEntry>().Where(e => e.RecordedAt >= time).OrderBy(e => e.Id).Select(e => e.Id).FirstOrDefaultAsync(cancellationToken)
            : await session.Query<AuditEntry>().Where(e => e.RecordedAt <= time).OrderByDescending(e => e.Id).Select(e => e.Id).FirstOrDefaultAsync(cancellationToken);
        return (found == 0 && lower ? long.MaxValue : found, null);
    }
}
