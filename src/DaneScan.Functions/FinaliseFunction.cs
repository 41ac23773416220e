using DaneScan.Fleet;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace DaneScan.Functions;

/// <summary>
/// Completes runs: on its schedule, checks every running run's completion markers and, for a run whose
/// batches are all resolved and claimed probes all stored, stores its pre-aggregated statistics and marks it
/// Completed (<see cref="RunFinaliser"/>); a run without progress for <c>Finalise__StallAfter</c> (a dead-lettered
/// message) is completed with what it has, its manifest saying what was outstanding. Idempotent: two
/// overlapping ticks write the same rows.
/// </summary>
public sealed partial class FinaliseFunction(RunFinaliser finaliser, ILogger<FinaliseFunction> logger)
{
    public const string Name = "Finalise";

    /// <summary>The app setting that holds the NCRONTAB schedule (for example every five minutes: <c>0 */5 * * * *</c>).</summary>
    public const string ScheduleSetting = "FinaliseSchedule";

    [Function(Name)]
    public async Task RunAsync([TimerTrigger("%" + ScheduleSetting + "%", UseMonitor = true)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var results = await finaliser.FinaliseRunningAsync(cancellationToken).ConfigureAwait(false);
        LogTick(logger, results.Count, results.Count(r => r.Outcome == FinaliseOutcome.Completed), results.Count(r => r.Outcome == FinaliseOutcome.CompletedIncomplete));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Running} running runs checked, {Completed} completed, {Incomplete} completed without all their work after stalling")]
    private static partial void LogTick(ILogger logger, int running, int completed, int incomplete);
}
