using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;

namespace DaneScan.Smtp.Tests;

/// <summary>Real sockets on 127.88.1.x and real TLS (SslStream server with generated certificates).</summary>
[Trait("Category", "Integration")]
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
    public async Task An_intermediate_known_to_the_local_store_is_not_added_to_a_leaf_only_chain()
    {
        // Put the leaf's issuer where .NET's chain builder looks (the user's CA store), show that the builder
        // picks it up there, and that the prober still reports only what the server sent. The server's
        // certificate context is made first, so that the server itself sends the leaf alone.
        await using var server = new LoopbackSmtpServer(IPAddress.Parse("127.88.1.10"), _certs.EcLeaf, []);
        Assert.Equal(0, server.SentIntermediates);
        using X509Certificate2 issuer = X509CertificateLoader.LoadCertificate(_certs.Intermediate.RawData);
        using var store = new X509Store(StoreName.CertificateAuthority, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        store.Add(issuer);
        try
        {
            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.DisableCertificateDownloads = true;
                chain.Build(_certs.EcLeaf);
                Assert.Contains(chain.ChainElements, e => e.Certificate.RawData.AsSpan().SequenceEqual(issuer.RawData));
            }

            ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mx.example.org");

            Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
            Assert.Equal([_certs.EcLeaf.RawData], o.PresentedChain);
        }
        finally
        {
            store.Remove(issuer);
        }
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

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mail.provider.example.");
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

    [Theory]
    [InlineData("127.88.1.11", "554 5.7.0 not after all\r\n", "EHLO after TLS answered 554")]
    [InlineData("127.88.1.12", "", "EHLO after TLS failed (ProtocolError)")]
    public async Task A_failed_ehlo_after_tls_is_a_failed_session_that_keeps_the_chain(string address, string reply, string expected)
    {
        await using var server = new LoopbackSmtpServer(IPAddress.Parse(address), _certs.EcLeaf, [], ehloAfterTlsReply: reply);

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mx.example.org");

        Assert.Equal(ProbeOutcome.TlsSessionFailed, o.Outcome);
        Assert.Equal(ProbeStage.EhloAfterTls, o.FailedStage);
        Assert.NotNull(o.TlsProtocol);
        Assert.False(o.EhloAfterTlsOk);
        Assert.Equal([_certs.EcLeaf.RawData], o.PresentedChain);
        Assert.StartsWith(expected, o.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_of_more_than_101_certificates_completes_the_handshake_and_is_captured_whole()
    {
        // More than OpenSSL's default verification depth (100 intermediates): before the prober raised it, .NET's
        // chain build threw "Error occurred during a cryptographic operation" and the chain was lost.
        IReadOnlyList<X509Certificate2> chain = _certs.DeepChain(110);
        await using var server = new LoopbackSmtpServer(IPAddress.Parse("127.88.1.13"), chain[0], [.. chain.Skip(1)]);

        ProbeObservation o = await _prober.ProbeAsync(server.EndPoint, "mx.example.org", "mx.example.org");
        await server.Completion;

        Assert.Equal(ProbeOutcome.TlsEstablished, o.Outcome);
        Assert.True(o.EhloAfterTlsOk);
        // The server sends leaf and CAs (SslStreamCertificateContext leaves out the self-signed root): 111.
        Assert.Equal(1 + server.SentIntermediates, o.PresentedChain.Count);
        Assert.True(o.PresentedChain.Count > 101, $"only {o.PresentedChain.Count} certificates sent");
        Assert.Equal(chain.Take(o.PresentedChain.Count).Select(c => c.RawData), o.PresentedChain);
        Assert.Equal(OpenSslChainDepth.Depth, OpenSslChainDepth.CurrentDepth());
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

/// <summary>Connect deadline: a listener that never accepts and whose backlog is full drops further SYNs.</summary>
[Trait("Category", "Integration")]
public sealed class ConnectDeadlineTests
{
    [Fact]
    public async Task A_connect_that_never_completes_times_out_at_connect()
    {
        var listener = new TcpListener(IPAddress.Parse("127.88.1.9"), 0);
        listener.Start(backlog: 1);
        var parked = new List<Socket>();
        try
        {
            var endpoint = (IPEndPoint)listener.LocalEndpoint;

            // Fill the accept queue (nobody accepts); the kernel then drops new SYNs, so a connect hangs.
            for (int i = 0; i < 8; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                parked.Add(s);
                using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await s.ConnectAsync(endpoint, quick.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var prober = new SmtpProber(new SmtpProbeOptions("scanner.danescan.example", connectTimeout: TimeSpan.FromMilliseconds(500)));
            ProbeObservation o = await prober.ProbeAsync(endpoint, "mx.example.org", "mx.example.org");

            Assert.Equal(ProbeOutcome.Timeout, o.Outcome);
            Assert.Equal(ProbeStage.Connect, o.FailedStage);
            Assert.Contains("Connect deadline", o.Detail, StringComparison.Ordinal);
            Assert.Null(o.Banner);
        }
        finally
        {
            foreach (Socket s in parked)
            {
                s.Dispose();
            }

            listener.Stop();
        }
    }
}
