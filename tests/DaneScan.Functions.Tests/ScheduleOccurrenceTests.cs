using DaneScan.Contracts;
using DaneScan.Fleet;

namespace DaneScan.Functions.Tests;

/// <summary>The run id comes from the schedule occurrence, so late, past-due and retried invocations of one occurrence share it.</summary>
public sealed class ScheduleOccurrenceTests
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("0 0 3 * * 0", "2026-11-29T03:00:00Z", "2026-11-29T03:00:00Z")]
    [InlineData("0 0 3 * * 0", "2026-11-29T03:00:00.4Z", "2026-11-29T03:00:00Z")]
    [InlineData("0 0 3 * * 0", "2026-11-29T03:47:13Z", "2026-11-29T03:00:00Z")]
    [InlineData("0 0 3 * * 0", "2026-12-05T23:59:59Z", "2026-11-29T03:00:00Z")]
    [InlineData("0 0 3 * * 0", "2026-11-29T02:59:58Z", "2026-11-29T03:00:00Z")] // a scheduler a little ahead of this clock
    [InlineData("0 0 3 * * 0", "2026-11-29T02:59:00Z", "2026-11-22T03:00:00Z")]
    [InlineData("0 */15 * * * *", "2026-11-28T14:44:50Z", "2026-11-28T14:30:00Z")]
    [InlineData("0 0 0 1 1 *", "2026-11-28T14:44:59Z", "2026-01-01T00:00:00Z")]
    public void The_latest_occurrence_at_or_before_the_invocation(string schedule, string invoked, string occurrence)
    {
        Assert.Equal(At(occurrence), ScheduleOccurrence.Latest(schedule, At(invoked)));
    }

    [Fact]
    public void The_run_id_depends_on_the_occurrence_only()
    {
        var first = RunIds.ForOccurrence(ScheduleOccurrence.Latest("0 0 3 * * 0", At("2026-11-29T03:00:01Z")));
        var retry = RunIds.ForOccurrence(ScheduleOccurrence.Latest("0 0 3 * * 0", At("2026-11-29T03:25:00Z")));
        Assert.Equal("fleet-20261129T030000Z", first);
        Assert.Equal(first, retry);
        Assert.Equal("fleet-20261129T030000Z", RunIds.ForOccurrence(At("2026-11-29T04:00:00+01:00")));
    }

    [Fact]
    public void A_schedule_that_is_not_ncrontab_is_refused()
    {
        Assert.Null(ScheduleOccurrence.TryParse("0 3 * * 0"));
        Assert.Throws<ArgumentException>(() => ScheduleOccurrence.Latest("every sunday", DateTimeOffset.UtcNow));
    }
}
