using System.Globalization;
using DaneScan.Contracts;
using DaneScan.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.Fleet;

/// <summary>What <see cref="RunFinaliser"/> did with one run.</summary>
public enum FinaliseOutcome
{
    /// <summary>The run was complete: its statistics are stored and its manifest says Completed.</summary>
    Completed,

    /// <summary>Work is outstanding (see <see cref="FinaliseResult.Completion"/>); nothing was written.</summary>
    Outstanding,

    /// <summary>
    /// Work was outstanding but nothing had moved for <see cref="RunFinaliser.StallAfter"/>: the run's statistics
    /// are stored from what was recorded and its manifest says Completed, with <see cref="RunManifest.Incomplete"/>
    /// naming what was missing.
    /// </summary>
    CompletedIncomplete,

    /// <summary>The manifest already said Completed; nothing was written.</summary>
    AlreadyCompleted,

    /// <summary>No manifest for the run.</summary>
    Unknown,

    /// <summary>The manifest says Failed (a list could not be read whole): it is left so, never completed.</summary>
    Failed,
}

public sealed record FinaliseResult(string RunId, FinaliseOutcome Outcome, RunCompletion? Completion);

/// <summary>
/// Completes distributed runs: for each run whose manifest says Running, checks its completion markers
/// (<see cref="RunProgress"/>); when every batch is resolved and every claimed target probed, computes every
/// statistic the API serves once (<see cref="RunAggregates"/>), stores them (the CLI's
/// <see cref="RunStatistics"/> rows and the API's pre-aggregated documents, <see cref="AggregateStore"/>),
/// then sets the manifest to Completed with its end time and recorded counts, in that order, so that a
/// Completed manifest always has its statistics. The end time is the server time of the run's last marker,
/// and the statistics' computed time is that too, so two finalisers (concurrent, or one after a crash)
/// write the same rows. A plain service: the Functions timer calls it, and so can <c>danescan worker</c>.
/// </summary>
public sealed partial class RunFinaliser(TableResultStore store, RunProgress progress, ILogger<RunFinaliser>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly AggregateStore _aggregates = new(store);

    /// <summary>Rows per stored page of a breakdown (tests use small pages to cross page boundaries).</summary>
    public int PageRows { get; init; } = AggregateStore.DefaultPageRows;

    /// <summary>
    /// How long a run may go without progress (no marker written since its last activity, or since it started)
    /// before it is completed with what it has: a message that dead-lettered would otherwise keep it Running
    /// for ever, and dashboards without its numbers. Null: wait for ever.
    /// </summary>
    public TimeSpan? StallAfter { get; init; }

    /// <summary>The clock <see cref="StallAfter"/> is measured with.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Checks every running run once and completes those that are done.</summary>
    public async Task<IReadOnlyList<FinaliseResult>> FinaliseRunningAsync(CancellationToken cancellationToken = default)
    {
        var running = new List<string>();
        await foreach (var manifest in store.EnumerateManifestsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (manifest.State == RunState.Running)
            {
                running.Add(manifest.RunId);
            }
        }

        var results = new List<FinaliseResult>(running.Count);
        foreach (var runId in running)
        {
            results.Add(await FinaliseAsync(runId, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>Completes one run if it is done.</summary>
    public async Task<FinaliseResult> FinaliseAsync(string runId, CancellationToken cancellationToken = default)
    {
        var manifest = await store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return new FinaliseResult(runId, FinaliseOutcome.Unknown, null);
        }

        if (manifest.State == RunState.Completed)
        {
            return new FinaliseResult(runId, FinaliseOutcome.AlreadyCompleted, null);
        }

        if (manifest.State == RunState.Failed)
        {
            return new FinaliseResult(runId, FinaliseOutcome.Failed, null);
        }

        var completion = await progress.CheckAsync(runId, cancellationToken).ConfigureAwait(false);
        string? incomplete = null;
        if (!completion.IsComplete)
        {
            var since = completion.LastActivityUtc ?? manifest.EnumeratedUtc ?? manifest.StartedUtc;
            if (StallAfter is not { } stall || Time.GetUtcNow() - since < stall)
            {
                LogOutstanding(_logger, completion.ToString());
                return new FinaliseResult(runId, FinaliseOutcome.Outstanding, completion);
            }

            incomplete = string.Create(CultureInfo.InvariantCulture, $"completed without all its work after no progress since {since:o} (stall time {stall}): {completion}");
            LogStalled(_logger, runId, incomplete);
        }

        var ended = completion.LastActivityUtc ?? manifest.StartedUtc;
        var aggregates = await RunAggregates.ComputeAsync(store, manifest, ended, PageRows, cancellationToken).ConfigureAwait(false);
        if (aggregates.Totals.Recomputed > 0)
        {
            // Should not happen: the last probe of a domain judges it before its target is marked probed.
            LogUnjudged(_logger, runId, aggregates.Totals.Recomputed);
        }

        await store.WriteStatisticsAsync(aggregates.Summary.ToStatistics(ended), cancellationToken).ConfigureAwait(false);
        await _aggregates.WriteAsync(aggregates, cancellationToken).ConfigureAwait(false);
        await store.WriteManifestAsync(
            manifest with
            {
                State = RunState.Completed,
                EndedUtc = ended,
                Incomplete = incomplete,
                Counts = manifest.Counts with { DomainsRecorded = aggregates.Totals.Domains, ProbesRecorded = aggregates.Totals.Probes },
            },
            cancellationToken).ConfigureAwait(false);
        LogCompleted(_logger, runId, aggregates.Totals.Domains, aggregates.Totals.Probes, ended);
        return new FinaliseResult(runId, incomplete is null ? FinaliseOutcome.Completed : FinaliseOutcome.CompletedIncomplete, completion);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Not complete yet: {Progress}")]
    private static partial void LogOutstanding(ILogger logger, string progress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} {Incomplete}; its statistics cover what was recorded")]
    private static partial void LogStalled(ILogger logger, string runId, string incomplete);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} is complete but {Count} domains had no stored verdict; they were judged on DNS alone")]
    private static partial void LogUnjudged(ILogger logger, string runId, long count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} completed: {Domains} domains, {Probes} probes, ended {EndedUtc:o}; statistics stored")]
    private static partial void LogCompleted(ILogger logger, string runId, long domains, long probes, DateTimeOffset endedUtc);
}
