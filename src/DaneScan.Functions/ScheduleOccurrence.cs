using NCrontab;

namespace DaneScan.Functions;

/// <summary>
/// The occurrence of the enumerate schedule an invocation belongs to. The timer fires at (or, past due,
/// after) an occurrence; a retry of the invocation runs later still, but before the next occurrence. The
/// latest occurrence at or before the invocation time is therefore the same for the first attempt and its
/// retries, and the run id (<see cref="Contracts.RunIds.ForOccurrence"/>) is derived from it alone.
/// </summary>
public static class ScheduleOccurrence
{
    /// <summary>Clock skew allowed between the host's scheduler and the worker's clock.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(5);

    /// <summary>The schedule parsed as NCRONTAB with seconds (as the Functions host reads it), or null.</summary>
    public static CrontabSchedule? TryParse(string schedule) =>
        CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    /// <summary>The latest occurrence of <paramref name="schedule"/> at or before <paramref name="invokedUtc"/> (plus <see cref="Tolerance"/>).</summary>
    public static DateTimeOffset Latest(string schedule, DateTimeOffset invokedUtc)
    {
        var cron = TryParse(schedule) ?? throw new ArgumentException($"'{schedule}' is not an NCRONTAB expression with seconds", nameof(schedule));
        var end = invokedUtc.UtcDateTime + Tolerance;
        var limit = end.AddTicks(1);
        for (var span = TimeSpan.FromMinutes(1); span <= TimeSpan.FromDays(366 * 8); span *= 2)
        {
            var occurrence = cron.GetNextOccurrence(end - span, limit);
            if (occurrence > end)
            {
                continue;
            }

            while (cron.GetNextOccurrence(occurrence, limit) is var next && next <= end)
            {
                occurrence = next;
            }

            return new DateTimeOffset(DateTime.SpecifyKind(occurrence, DateTimeKind.Utc));
        }

        throw new ArgumentException($"'{schedule}' has no occurrence in the eight years before {invokedUtc:O}", nameof(schedule));
    }
}
