using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;

namespace DaneScan.Smtp.Tests;

/// <summary>Real sockets on 127.88.1.x and real TLS (SslStream server with generated certificates).</summary>
public sealed class LoopbackTlsTests(TestCertificates certs) : IClassFixture<TestCertificates>
{
    private const string Identity = "scanner.danescan.example";
    private readonly TestCertificates _certs = certs;
    private readonly SmtpProber _prober = new(new SmtpProbeOptions(
        Identity, connectTimeout: TimeSpan.FromSeconds(10), stepTimeout: TimeSpan.FromSeconds(20), overallTimeout: TimeSpan.FromSeconds(60)));

    [Fact]
    public async Task A_server_sending_only_its_leaf_gives_a_one_certificate_chain_over_tls13()
    {
        await using var server = new LoopbackSmtpServer(IPAddress.Parse("127.88.1.1"), _certs.EcLeaf, [], SslProtocols.Tls13);

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mx.example.org");
        await server.Completion;

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.Null(o.FailedStage);
        byte[] only = Assert.Single(o.PresentedChain);
        Assert.Equal(_certs.EcLeaf.RawData, only);
        Assert.Equal("Tls13", o.TlsProtocol);
        Assert.StartsWith("TLS_AES_", o.CipherSuite, StringComparison.Ordinal);
        Assert.Equal("ECDSA P-256", o.LeafKey);
        Assert.True(o.EhloAfterTlsOk);
        Assert.Equal("220 mx.example.org ESMTP test server / 220 second banner line", o.Banner);
        Assert.Equal(["PIPELINING", "STARTTLS", "8BITMIME"], o.EhloKeywords);
        Assert.Equal("mx.example.org", server.ReceivedServerName);
        Assert.Equal(["EHLO " + Identity, "STARTTLS", "EHLO " + Identity, "QUIT"], server.Commands);
        foreach (string stage in new[] { "Connect", "Banner", "Ehlo", "StartTls", "TlsHandshake", "EhloAfterTls", "Quit" })
        {
            Assert.True(o.TimingsMs.ContainsKey(stage), stage);
        }
    }

    [Fact]
    public async Task A_full_chain_is_captured_exactly_in_wire_order_over_tls12_with_an_rsa_leaf()
    {
        await using var server = new LoopbackSmtpServer(
            IPAddress.Parse("127.88.1.2"), _certs.RsaLeaf, [_certs.Intermediate, _certs.Top], SslProtocols.Tls12);

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mx.example.org");
        await server.Completion;

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.Equal(3, o.PresentedChain.Count);
        Assert.Equal(_certs.RsaLeaf.RawData, o.PresentedChain[0]);
        Assert.Equal(_certs.Intermediate.RawData, o.PresentedChain[1]);
        Assert.Equal(_certs.Top.RawData, o.PresentedChain[2]);
        Assert.Equal("Tls12", o.TlsProtocol);
        Assert.StartsWith("TLS_ECDHE_RSA_", o.CipherSuite, StringComparison.Ordinal);
        Assert.Equal("RSA 2048", o.LeafKey);
    }

    [Fact]
    public async Task Leaf_and_intermediate_give_two_certificates_and_nothing_is_added()
    {
        await using var server = new LoopbackSmtpServer(IPAddress.Parse("127.88.1.3"), _certs.EcLeaf, [_certs.Intermediate]);

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mx.example.org");

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.Equal([_certs.EcLeaf.RawData, _certs.Intermediate.RawData], o.PresentedChain);
    }

    [Fact]
    public async Task Without_a_server_name_no_sni_is_sent()
    {
        await using var server = new LoopbackSmtpServer(IPAddress.Parse("127.88.1.4"), _certs.EcLeaf, []);

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", serverName: null);
        await server.Completion;

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.Null(o.ServerName);
        Assert.True(string.IsNullOrEmpty(server.ReceivedServerName));
    }

    [Fact]
    public async Task Sni_is_the_tlsa_base_domain_not_the_mx_name()
    {
        await using var server = new LoopbackSmtpServer(IPAddress.Parse("127.88.1.5"), _certs.EcLeaf, []);

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mail.provider.example");
        await server.Completion;

        Assert.Equal("mail.provider.example", server.ReceivedServerName);
        Assert.Equal("mail.provider.example", o.ServerName);
        Assert.Equal("mx.example.org", o.Host);
    }

    [Fact]
    public async Task Bytes_piggybacked_on_the_220_are_not_fed_to_tls_so_the_handshake_succeeds()
    {
        // If the injected bytes reached the TLS layer, the handshake would fail on them.
        const string injected = "250-injected\r\n250 injected too\r\n";
        await using var server = new LoopbackSmtpServer(IPAddress.Parse("127.88.1.6"), _certs.EcLeaf, [], afterStartTls220: injected);

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mx.example.org");
        await server.Completion;

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.Contains($"discarded {injected.Length} bytes", o.Detail, StringComparison.Ordinal);
        Assert.True(o.EhloAfterTlsOk);
    }

    [Fact]
    public async Task A_closed_port_is_unreachable_at_connect()
    {
        // Bind then release a port so nothing listens there.
        var probe = new TcpListener(IPAddress.Parse("127.88.1.7"), 0);
        probe.Start();
        var endpoint = (IPEndPoint)probe.LocalEndpoint;
        probe.Stop();

        ProbeObservation o = await _prober.ProbeAsync(endpoint, "mx.example.org", "mx.example.org");

        Assert.Equal(ProbeOutcome.Unreachable, o.Outcome);
        Assert.Equal(ProbeStage.Connect, o.FailedStage);
        Assert.Contains("ConnectionRefused", o.Detail, StringComparison.Ordinal);
        Assert.Equal("127.88.1.7", o.Address);
        Assert.Equal(endpoint.Port, o.Port);
    }

    [Fact]
    public async Task A_silent_listener_times_out_at_the_banner_and_cancellation_throws()
    {
        var listener = new TcpListener(IPAddress.Parse("127.88.1.8"), 0);
        listener.Start();
        try
        {
            var endpoint = (IPEndPoint)listener.LocalEndpoint;
            var quick = new SmtpProber(new SmtpProbeOptions(Identity, stepTimeout: TimeSpan.FromMilliseconds(300)));

            // The kernel completes the handshake from the backlog; nobody ever writes a banner.
            ProbeObservation o = await quick.ProbeAsync(endpoint, "mx.example.org", "mx.example.org");
            Assert.Equal(ProbeOutcome.Timeout, o.Outcome);
            Assert.Equal(ProbeStage.Banner, o.FailedStage);

            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => _prober.ProbeAsync(endpoint, "mx.example.org", "mx.example.org", cts.Token));
        }
        finally
        {
            listener.Stop();
        }
    }
}
