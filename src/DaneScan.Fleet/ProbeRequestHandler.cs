using DaneScan.Contracts;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;

namespace DaneScan.Fleet;

/// <summary>
/// One probe request, from message to stored probe, the same in the Probe function and in <c>danescan worker</c>:
/// the <see cref="IProbeStage"/> probes, stores and judges; when it defers (the address's turn is not free now),
/// the request goes back to the probe queue as a scheduled message, due when the stage said, with its deferral
/// count one higher (<see cref="ProbeDeferrals"/>), and only then does the caller complete the message it
/// received. If the execution dies between the two, the request is delivered twice; the stage already tolerates
/// that (the second finds the probe stored and only judges its waiters), and a second re-send with the same
/// count is dropped by duplicate detection. Deferrals are counted in telemetry (<c>danescan.probes.deferred</c>,
/// tag reason).
/// </summary>
public sealed class ProbeRequestHandler
{
    private readonly IProbeStage _probe;
    private readonly WorkQueueSender _probeSender;
    private readonly TimeProvider _time;

    /// <param name="probe">The probe stage.</param>
    /// <param name="probeSender">The probe queue's sender, on which deferred requests are scheduled.</param>
    /// <param name="time">The wall clock a deferral's due time is reckoned on.</param>
    public ProbeRequestHandler(IProbeStage probe, WorkQueueSender probeSender, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(probeSender);
        _probe = probe;
        _probeSender = probeSender;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Runs the stage for a request deferred <paramref name="deferrals"/> times before; a deferral is scheduled on the probe queue before this returns.</summary>
    public async Task<ProbeStageResult> HandleAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await _probe.ProbeAsync(request, deferrals, cancellationToken).ConfigureAwait(false);
        if (result.Deferred is { } wait)
        {
            await _probeSender.ScheduleDeferredProbeRequestAsync(request, deferrals + 1, _time.GetUtcNow() + wait, cancellationToken).ConfigureAwait(false);
            DaneScanTelemetry.CountProbeDeferral(result.Reason);
        }

        return result;
    }
}
