using System.Net;
using DaneScan.Core;
using Xunit.Abstractions;

namespace DaneScan.Smtp.Tests;

/// <summary>
/// The prober against the lab's scripted SMTP servers on real sockets: the chain shapes the lab serves,
/// and the hostile behaviours (slow banner, endless multi-line reply, garbage instead of TLS, a reset
/// mid-handshake, an oversized reply, a closed port, 454), each of which must come back as its classified
/// outcome and stage. Only that the probe returned with the right classification is asserted, never speed.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LabServerTests(LabServersFixture lab, ITestOutputHelper output) : IClassFixture<LabServersFixture>
{
    private const string Identity = "scanner.danescan.example";

    // Roomy deadlines for servers that answer (the machine may be busy); a short step deadline only for
    // the servers that never answer in time (the lab's slow banner waits 30 s).
    private readonly SmtpProber _prober = new(new SmtpProbeOptions(
        Identity,
        connectTimeout: TimeSpan.FromSeconds(10),
        stepTimeout: TimeSpan.FromSeconds(20),
        overallTimeout: TimeSpan.FromSeconds(60),
        maxLineLength: 2048,
        maxLinesPerReply: 100,
        maxReplyBytes: 32 * 1024));

    private readonly SmtpProber _impatient = new(new SmtpProbeOptions(Identity, stepTimeout: TimeSpan.FromSeconds(2)));

    private Task<ProbeObservation> Probe(string host) =>
        (host is "slow" or "silent" ? _impatient : _prober).ProbeAsync(lab.Endpoint(host), LabServersFixture.MxName, LabServersFixture.MxName);

    [Fact]
    public async Task Leaf_intermediate_and_self_signed_root_are_captured_exactly()
    {
        ProbeObservation o = await Probe("full");

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.Equal([lab.Leaf.RawData, lab.Pki.Intermediate.RawData, lab.Pki.Root.RawData], o.PresentedChain);
        Assert.Equal("ECDSA P-256", o.LeafKey);
        Assert.True(o.EhloAfterTlsOk);
        Assert.StartsWith("220 full.mx.smtp.lab ESMTP", o.Banner, StringComparison.Ordinal);
        Assert.Contains("STARTTLS", o.EhloKeywords);
    }

    [Fact]
    public async Task A_leaf_only_server_gives_exactly_one_certificate()
    {
        ProbeObservation o = await Probe("leaf");

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.Equal([lab.Leaf.RawData], o.PresentedChain);
    }

    [Fact]
    public async Task Tls12_and_tls13_are_recorded_as_negotiated()
    {
        ProbeObservation tls12 = await Probe("tls12");
        ProbeObservation tls13 = await Probe("tls13");

        Assert.Equal(ProbeOutcome.TlsEstablished, tls12.Outcome);
        Assert.Equal("Tls12", tls12.TlsProtocol);
        Assert.StartsWith("TLS_ECDHE_RSA_", tls12.CipherSuite, StringComparison.Ordinal);
        Assert.Equal("RSA 2048", tls12.LeafKey);
        Assert.Equal([lab.RsaLeaf.RawData], tls12.PresentedChain);

        Assert.Equal(ProbeOutcome.TlsEstablished, tls13.Outcome);
        Assert.Equal("Tls13", tls13.TlsProtocol);
        Assert.StartsWith("TLS_AES_", tls13.CipherSuite, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-starttls", ProbeOutcome.StartTlsNotOffered, ProbeStage.StartTls)]
    [InlineData("refused454", ProbeOutcome.StartTlsRejected, ProbeStage.StartTls)]
    [InlineData("abort", ProbeOutcome.TlsHandshakeFailed, ProbeStage.TlsHandshake)]
    [InlineData("garbage", ProbeOutcome.TlsHandshakeFailed, ProbeStage.TlsHandshake)]
    [InlineData("reset", ProbeOutcome.TlsHandshakeFailed, ProbeStage.TlsHandshake)]
    [InlineData("closed", ProbeOutcome.Unreachable, ProbeStage.Connect)]
    [InlineData("slow", ProbeOutcome.Timeout, ProbeStage.Banner)]
    [InlineData("silent", ProbeOutcome.Timeout, ProbeStage.Banner)]
    [InlineData("endless", ProbeOutcome.ProtocolError, ProbeStage.Ehlo)]
    [InlineData("oversized", ProbeOutcome.ProtocolError, ProbeStage.Ehlo)]
    public async Task A_hostile_or_broken_server_gives_its_classified_outcome(string host, ProbeOutcome outcome, ProbeStage stage)
    {
        ProbeObservation o = await Probe(host);
        output.WriteLine($"{host}: {o.Outcome} at {o.FailedStage}: {o.Detail}");

        Assert.Equal(outcome, o.Outcome);
        Assert.Equal(stage, o.FailedStage);
        Assert.False(string.IsNullOrWhiteSpace(o.Detail));
        Assert.Empty(o.PresentedChain);
        Assert.Null(o.TlsProtocol);
        Assert.Equal(lab.Endpoint(host).Address.ToString(), o.Address);
    }

    [Fact]
    public async Task The_454_reply_is_kept_verbatim()
    {
        ProbeObservation o = await Probe("refused454");

        Assert.Equal("454 4.7.0 TLS not available due to temporary reason", o.StartTlsReply);
        Assert.True(o.StartTlsOffered);
    }

    [Fact]
    public async Task Endless_and_oversized_replies_stop_at_their_bounds()
    {
        ProbeObservation endless = await Probe("endless");
        ProbeObservation oversized = await Probe("oversized");

        Assert.Contains("longer than 100 lines", endless.Detail, StringComparison.Ordinal);
        Assert.Contains("longer than 2048 bytes", oversized.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plaintext_piggybacked_on_the_220_is_discarded_and_tls_still_succeeds()
    {
        ProbeObservation o = await Probe("piggyback");

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.Contains("discarded", o.Detail, StringComparison.Ordinal);
        Assert.True(o.EhloAfterTlsOk);
    }

    [Fact]
    public async Task Many_concurrent_probes_of_the_lab_all_classify()
    {
        string[] hosts = ["full", "leaf", "no-starttls", "refused454", "garbage", "reset", "closed", "endless", "oversized"];
        ProbeObservation[] results = await Task.WhenAll(
            Enumerable.Range(0, 4).SelectMany(_ => hosts).Select(Probe));

        Assert.All(results, o => Assert.NotEqual(ProbeOutcome.Timeout, o.Outcome));
        Assert.Equal(8, results.Count(o => o.Outcome == ProbeOutcome.TlsEstablished));
    }
}
