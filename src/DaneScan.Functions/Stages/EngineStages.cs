using DaneScan.Contracts;
using DaneScan.Fleet;
using DaneScan.Fleet.Worker;
using DaneScan.Storage;

namespace DaneScan.Functions.Stages;

/// <summary>
/// The resolve and probe stages of the Functions app, built on the first invocation that needs them from the
/// engine of <see cref="ResolverTrust"/> (its resolver self-check awaited, never blocked on): an invocation
/// before the check has finished waits for it, and every invocation after a refused check fails with its reason,
/// so no DNS answer is stored behind a resolver that failed the check.
/// </summary>
public sealed class EngineStages(ResolverTrust trust, TableResultStore store, ProbeClaims claims) : IResolveStage, IProbeStage
{
    private readonly Lazy<Task<(TableResolveStage Resolve, TableProbeStage Probe)>> _stages =
        new(async () => WorkerRuntime.Stages(await trust.GetEngineAsync().ConfigureAwait(false), store, claims));

    public async Task<IReadOnlyList<ProbeRequest>> ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken = default) =>
        await (await _stages.Value.WaitAsync(cancellationToken).ConfigureAwait(false)).Resolve.ResolveAsync(batch, cancellationToken).ConfigureAwait(false);

    public async Task<ProbeStageResult> ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default) =>
        await (await _stages.Value.WaitAsync(cancellationToken).ConfigureAwait(false)).Probe.ProbeAsync(request, deferrals, cancellationToken).ConfigureAwait(false);
}
