using System.Net;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.Smtp;
using Microsoft.Extensions.Time.Testing;

namespace DaneScan.Pipeline.Tests.Politeness;

/// <summary>
/// <see cref="HostProber.TryProbeAsync"/> applies the politeness policy and the budget exactly as
/// <see cref="HostProber.ProbeAsync"/> does, before it asks for a turn: a refused target is an immediate
/// NotProbed observation even while its address is busy, never a deferral; an allowed one whose address is busy
/// is deferred without a connection. (Probing with a lease is run against real lab SMTP servers in
/// tests/DaneScan.Fleet.Tests.) The address is the documentation block 192.0.2.0/24, so an allowed probe that
/// wrongly went out would not reach anybody.
/// </summary>
public class TryProbeTests
{
    private static readonly IPAddress Address = IPAddress.Parse("192.0.2.25");
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static async Task<(HostProber Prober, ConnectionLimiter Limiter)> ProberAsync(string optOut = "", bool allowSpecialPurpose = true, AddressBudget? budget = null)
    {
        var (list, errors) = await OptOutList.ParseAsync(new StringReader(optOut));
        Assert.Empty(errors);
        var time = new FakeTimeProvider();
        var limiter = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = Interval }, time);
        var prober = new HostProber(new SmtpProber(new SmtpProbeOptions("scanner.danescan.test")), new PolitenessPolicy(list, new AddressPolicy(allowSpecialPurpose)), limiter, time, budget);
        return (prober, limiter);
    }

    private static ProbeTarget Target(string host) => new(host, Address, 25, host);

    [Fact]
    public async Task An_allowed_target_whose_address_is_busy_is_deferred_without_a_connection()
    {
        var (prober, limiter) = await ProberAsync();
        var held = limiter.TryAcquire(Address).Lease!;

        var result = await prober.TryProbeAsync(Target("mx1.example"));

        Assert.True(result.Deferred);
        Assert.Null(result.Observation);
        Assert.Equal((Interval, DeferralReason.AddressBusy), (result.RetryAfter, result.Reason));
        Assert.Equal(1, limiter.OpenConnections);
        held.Dispose();
        limiter.Dispose();
    }

    [Fact]
    public async Task An_opted_out_host_is_not_probed_at_once_even_while_its_address_is_busy()
    {
        var (prober, limiter) = await ProberAsync("mx.optout.example\n");
        var held = limiter.TryAcquire(Address).Lease!;

        var result = await prober.TryProbeAsync(Target("mx.optout.example"));

        Assert.False(result.Deferred);
        Assert.Null(result.RetryAfter);
        Assert.Equal((ProbeOutcome.NotProbed, ProbeSkipReason.OptedOut), (result.Observation!.Outcome, result.Observation.SkipReason));
        Assert.Equal(("mx.optout.example", "192.0.2.25"), (result.Observation.Host, result.Observation.Address));

        // The same answer as the waiting way in gives.
        var waited = await prober.ProbeAsync(Target("mx.optout.example"));
        Assert.Equal((waited.Outcome, waited.SkipReason, waited.Detail), (result.Observation.Outcome, result.Observation.SkipReason, result.Observation.Detail));
        held.Dispose();
        limiter.Dispose();
    }

    [Fact]
    public async Task A_reserved_address_is_not_probed_at_once_even_while_it_is_busy()
    {
        var (prober, limiter) = await ProberAsync(allowSpecialPurpose: false);
        var held = limiter.TryAcquire(Address).Lease!;

        var result = await prober.TryProbeAsync(Target("mx1.example"));

        Assert.Equal((ProbeOutcome.NotProbed, ProbeSkipReason.ReservedAddress), (result.Observation!.Outcome, result.Observation.SkipReason));
        held.Dispose();
        limiter.Dispose();
    }

    [Fact]
    public async Task An_address_whose_budget_is_spent_is_not_probed_at_once_even_while_it_is_busy()
    {
        var budget = new AddressBudget(maxConsecutiveFailures: 1);
        budget.Record(Address, new ProbeObservation { Host = "mx0.example", Address = Address.ToString(), Outcome = ProbeOutcome.Unreachable, FailedStage = ProbeStage.Connect });
        var (prober, limiter) = await ProberAsync(budget: budget);
        var held = limiter.TryAcquire(Address).Lease!;

        var result = await prober.TryProbeAsync(Target("mx1.example"));

        Assert.Equal((ProbeOutcome.NotProbed, ProbeSkipReason.Policy), (result.Observation!.Outcome, result.Observation.SkipReason));
        Assert.Contains("per-address budget", result.Observation.Detail, StringComparison.Ordinal);
        held.Dispose();
        limiter.Dispose();
    }
}
