using DaneScan.Fleet;
using DaneScan.Functions.Settings;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaneScan.Functions;

/// <summary>
/// The enumerate stage: on its schedule, starts a run and streams its domains in batches to the resolve queue.
/// The run id comes from the schedule occurrence (<see cref="ScheduleOccurrence"/>), not from the clock, so a
/// retried invocation resumes the same run: if the first attempt had sent everything it sends nothing; if it
/// died part-way it reads the same lists again and sends the same batches with the same MessageIds, which
/// the queue's duplicate detection drops (and the stages, being idempotent, would not count twice anyway).
/// </summary>
public sealed partial class EnumerateFunction(IRunEnumerator enumerator, QueueSenders senders, RunProgress progress, IOptions<EnumerateOptions> options, TimeProvider time, ILogger<EnumerateFunction> logger)
{
    public const string Name = "Enumerate";

    /// <summary>The app setting that holds the NCRONTAB schedule.</summary>
    public const string ScheduleSetting = "EnumerateSchedule";

    [Function(Name)]
    public async Task RunAsync([TimerTrigger("%" + ScheduleSetting + "%", UseMonitor = true)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var settings = options.Value;
        var scheduled = ScheduleOccurrence.Latest(settings.Schedule!, time.GetUtcNow());
        var run = await enumerator.StartRunAsync(settings.ListsContainer, scheduled, cancellationToken).ConfigureAwait(false);
        if (run.AlreadyEnumerated)
        {
            LogAlreadySent(logger, run.RunId, scheduled);
            return;
        }

        var sent = await senders.Resolve.SendResolveBatchesAsync(run.RunId, run.Entries, settings.BatchBodyBudgetBytes, settings.BatchMaxDomains, cancellationToken).ConfigureAwait(false);

        // What the run waits for before the finaliser may complete it: this many resolve batches. Recorded before
        // the manifest's EnumeratedUtc, which is what makes a retry of this occurrence send nothing.
        await progress.RecordEnumerationSentAsync(run.RunId, sent.Messages, checked((int)run.DomainsAccepted), cancellationToken).ConfigureAwait(false);
        await enumerator.RecordEnumerationSentAsync(run, sent.Messages, cancellationToken).ConfigureAwait(false);
        LogEnumerated(logger, run.RunId, run.DomainsAccepted, sent.Messages, sent.SendCalls, sent.BodyBytes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {Domains} domains sent as {Messages} resolve messages in {SendCalls} send calls ({Bytes} body bytes)")]
    private static partial void LogEnumerated(ILogger logger, string runId, long domains, int messages, int sendCalls, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} (occurrence {ScheduledUtc}) was already enumerated by an earlier attempt: nothing sent")]
    private static partial void LogAlreadySent(ILogger logger, string runId, DateTimeOffset scheduledUtc);
}
