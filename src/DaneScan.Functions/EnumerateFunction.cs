using DaneScan.Fleet;
using DaneScan.Functions.Settings;
using DaneScan.Functions.Stages;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaneScan.Functions;

/// <summary>The enumerate stage: on its schedule, starts a run and sends its domains in batches to the resolve queue.</summary>
public sealed partial class EnumerateFunction(IRunEnumerator enumerator, QueueSenders senders, RunProgress progress, IOptions<EnumerateOptions> options, ILogger<EnumerateFunction> logger)
{
    public const string Name = "Enumerate";

    /// <summary>The app setting that holds the NCRONTAB schedule.</summary>
    public const string ScheduleSetting = "EnumerateSchedule";

    [Function(Name)]
    public async Task RunAsync([TimerTrigger("%" + ScheduleSetting + "%", UseMonitor = true)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var run = await enumerator.StartRunAsync(options.Value.ListsContainer, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        var sent = await senders.Resolve.SendResolveBatchesAsync(run.RunId, run.Domains, options.Value.BatchBodyBudgetBytes, cancellationToken).ConfigureAwait(false);
        await enumerator.RecordEnumerationSentAsync(run.RunId, sent.Messages, run.Domains.Count, cancellationToken).ConfigureAwait(false);

        // What the run waits for before the finaliser may complete it: this many resolve batches.
        await progress.RecordEnumerationSentAsync(run.RunId, sent.Messages, run.Domains.Count, cancellationToken).ConfigureAwait(false);
        LogEnumerated(logger, run.RunId, run.Domains.Count, sent.Messages, sent.SendCalls, sent.BodyBytes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {Domains} domains sent as {Messages} resolve messages in {SendCalls} send calls ({Bytes} body bytes)")]
    private static partial void LogEnumerated(ILogger logger, string runId, int domains, int messages, int sendCalls, long bytes);
}
