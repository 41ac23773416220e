using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DaneScan.Core;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;

namespace DaneScan.Smtp.Tests;

/// <summary>
/// Transient connect failures against the lab's scripted servers on 127.88.4.x: a refused or timed-out connect is
/// tried once more after the retry delay, and the observation says what each attempt saw. Timing bounds are
/// generous: a refused connect on loopback is immediate, the lab host opens 1 s after start, the retry comes 3 s later.
/// </summary>
public sealed class RetryTests : IAsyncLifetime
{
    private const string Identity = "scanner.danescan.example";
    private const string MxName = "mx.retry.lab";
    private readonly string _directory = Directory.CreateTempSubdirectory("danescan-smtp-retry-").FullName;
    private LabPki _pki = null!;
    private string _chain = null!;
    private string _key = null!;

    public Task InitializeAsync()
    {
        _pki = LabPki.Create(DateTimeOffset.UtcNow);
        using var leaf = _pki.Issue(_pki.Intermediate, [MxName], LabKeyType.EcdsaP256);
        _chain = Path.Combine(_directory, "leaf.pem");
        _key = Path.Combine(_directory, "leaf.key");
        ScriptedSmtpServers.WritePem(_chain, _key, [leaf]);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_server_that_refuses_first_then_accepts_is_probed_on_the_retry_and_the_refusal_is_kept()
    {
        var spec = Spec("127.88.4.1", listenAfter: TimeSpan.FromSeconds(1));
        await using var servers = await ScriptedSmtpServers.StartAsync([spec]);
        var prober = new SmtpProber(new SmtpProbeOptions(Identity, connectRetryDelay: TimeSpan.FromSeconds(3)));

        var clock = Stopwatch.StartNew();
        var o = await prober.ProbeAsync(servers.EndpointOf(spec), MxName, MxName);

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.True(o.Retried);
        var first = Assert.Single(o.EarlierAttempts!);
        Assert.Equal(ProbeOutcome.Unreachable, first.Outcome);
        Assert.Equal(ProbeStage.Connect, first.FailedStage);
        Assert.Contains("ConnectionRefused", first.Detail, StringComparison.Ordinal);
        Assert.True(o.StartedUtc - first.StartedUtc >= TimeSpan.FromSeconds(3), $"{first.StartedUtc:O} then {o.StartedUtc:O}");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3));
        Assert.Equal(1, servers.ConnectionsAccepted);
    }

    [Fact]
    public async Task A_port_that_stays_closed_is_tried_twice_then_unreachable_with_both_attempts_recorded()
    {
        var spec = Spec("127.88.4.2", listenAfter: TimeSpan.FromHours(1));
        await using var servers = await ScriptedSmtpServers.StartAsync([spec]);
        var prober = new SmtpProber(new SmtpProbeOptions(Identity, connectRetryDelay: TimeSpan.FromMilliseconds(500)));

        var o = await prober.ProbeAsync(servers.EndpointOf(spec), MxName, MxName);

        Assert.Equal(ProbeOutcome.Unreachable, o.Outcome);
        Assert.Equal(ProbeStage.Connect, o.FailedStage);
        var first = Assert.Single(o.EarlierAttempts!);
        Assert.Equal(ProbeOutcome.Unreachable, first.Outcome);
        Assert.True(o.StartedUtc - first.StartedUtc >= TimeSpan.FromMilliseconds(500));

        // The attempts are part of the stored observation and read back.
        var json = JsonSerializer.Serialize(o, DaneJson.Options);
        Assert.Contains("\"earlierAttempts\":[{", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<ProbeObservation>(json, DaneJson.Options)!;
        Assert.Equal(first, Assert.Single(back.EarlierAttempts!));
    }

    [Fact]
    public async Task A_probe_that_gets_past_connect_is_not_retried_and_its_json_has_no_attempts()
    {
        var spec = Spec("127.88.4.3", listenAfter: TimeSpan.Zero) with { StartTls = StartTlsBehaviour.Refused454 };
        await using var servers = await ScriptedSmtpServers.StartAsync([spec]);
        var prober = new SmtpProber(new SmtpProbeOptions(Identity, connectRetryDelay: TimeSpan.FromSeconds(1)));

        var o = await prober.ProbeAsync(servers.EndpointOf(spec), MxName, MxName);

        Assert.Equal(ProbeOutcome.StartTlsRejected, o.Outcome);
        Assert.False(o.Retried);
        Assert.Null(o.EarlierAttempts);
        Assert.Equal(1, servers.ConnectionsAccepted);
        Assert.DoesNotContain("earlierAttempts", JsonSerializer.Serialize(o, DaneJson.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_retries_off_a_refused_connect_is_final_at_once()
    {
        var spec = Spec("127.88.4.4", listenAfter: TimeSpan.FromHours(1));
        await using var servers = await ScriptedSmtpServers.StartAsync([spec]);
        var prober = new SmtpProber(new SmtpProbeOptions(Identity, connectRetryDelay: TimeSpan.Zero));

        var o = await prober.ProbeAsync(servers.EndpointOf(spec), MxName, MxName);

        Assert.Equal(ProbeOutcome.Unreachable, o.Outcome);
        Assert.Null(o.EarlierAttempts);
    }

    [Fact]
    public void A_negative_or_huge_retry_delay_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(Identity, connectRetryDelay: TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(Identity, connectRetryDelay: TimeSpan.FromHours(1)));
    }

    private SmtpHostSpec Spec(string address, TimeSpan listenAfter) => new()
    {
        Address = address,
        Port = 0,
        BannerName = MxName,
        ChainPemFile = _chain,
        KeyPemFile = _key,
        ListenAfter = listenAfter,
    };
}
