using DaneScan.Core;
using DaneScan.Lab.Smtp;
using Xunit.Abstractions;

namespace DaneScan.Smtp.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation measurements (run alone)";
}

/// <summary>
/// Bounded memory against servers that send without end: the bytes the whole process allocates while one
/// probe runs stay far below what the server pushes. Runs alone so other tests do not add to the count.
/// </summary>
[Trait("Category", "Integration")]
[Collection(AllocationCollection.Name)]
public sealed class BoundedMemoryTests(ITestOutputHelper output)
{
    private static readonly SmtpProber Prober = new(new SmtpProbeOptions(
        "scanner.danescan.example", stepTimeout: TimeSpan.FromSeconds(5), overallTimeout: TimeSpan.FromSeconds(20)));

    [Theory]
    [InlineData(SmtpQuirk.EndlessMultilineEhlo, "127.88.3.1")]
    [InlineData(SmtpQuirk.OversizedReply, "127.88.3.2")]
    public async Task A_server_that_sends_without_end_costs_the_prober_bounded_memory(SmtpQuirk quirk, string address)
    {
        var spec = new SmtpHostSpec
        {
            Address = address,
            Port = 0,
            BannerName = "flood.mx.smtp.lab",
            StartTls = StartTlsBehaviour.NotOffered,
            Quirk = quirk,
        };
        await using ScriptedSmtpServers servers = await ScriptedSmtpServers.StartAsync([spec]);
        var endpoint = servers.EndpointOf(spec);

        // Warm up: JIT, the lab's shared reply buffers, socket machinery (the first runs allocate ~1 MB once).
        for (int i = 0; i < 3; i++)
        {
            ProbeObservation warm = await Prober.ProbeAsync(endpoint, "flood.mx.smtp.lab", "flood.mx.smtp.lab");
            Assert.Equal(ProbeOutcome.ProtocolError, warm.Outcome);
        }

        long before = GC.GetTotalAllocatedBytes(precise: true);
        ProbeObservation o = await Prober.ProbeAsync(endpoint, "flood.mx.smtp.lab", "flood.mx.smtp.lab");
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"{quirk}: {o.Outcome} at {o.FailedStage} ({o.Detail}); {allocated:N0} bytes allocated in the process");

        Assert.Equal(ProbeOutcome.ProtocolError, o.Outcome);
        Assert.Equal(ProbeStage.Ehlo, o.FailedStage);

        // The oversized reply alone is 1 MiB, the endless one unbounded; the prober's buffer is 4 KiB and a
        // reply at most 32 KiB of text (twice that as UTF-16 strings). Measured: ~25 KB and ~100-140 KB,
        // the lab server's own allocations (same process) included.
        Assert.InRange(allocated, 0, 512 * 1024);
    }
}
