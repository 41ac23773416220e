using DaneScan.Contracts;
using DaneScan.Core;

namespace DaneScan.Pipeline.Engine;

/// <summary>
/// The per-domain deadline's one rule (<c>--domain-deadline</c>, for <c>scan</c> and <c>check</c>): wait for a
/// domain's probes until they all finished or the time left has passed; the domain is then judged with the
/// probes that finished, and the others are named as pending (their addresses judged <see cref="HostReason.ProbeMissing"/>).
/// </summary>
internal static class ProbeDeadline
{
    /// <summary>
    /// The finished probes and the keys (<see cref="ProbeKey"/>) of the unfinished ones, after at most
    /// <paramref name="left"/>. A probe that faulted rethrows (probes return failures as data, so that is a bug).
    /// </summary>
    public static async Task<(List<ProbeObservation> Probes, List<string> Pending)> HarvestAsync(
        Task<ProbeObservation>[] tasks, IReadOnlyList<ProbeTarget> targets, TimeSpan left, TimeProvider time, CancellationToken cancellationToken)
    {
        if (left > TimeSpan.Zero)
        {
            try
            {
                await Task.WhenAll(tasks).WaitAsync(left, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The domain's deadline: judged with what finished.
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var probes = new List<ProbeObservation>(tasks.Length);
        var pending = new List<string>();
        for (var i = 0; i < tasks.Length; i++)
        {
            if (tasks[i].IsCompletedSuccessfully)
            {
                probes.Add(tasks[i].Result);
            }
            else if (tasks[i].IsFaulted)
            {
                await tasks[i].ConfigureAwait(false);
            }
            else
            {
                pending.Add(targets[i].Key);
            }
        }

        return (probes, pending);
    }
}
