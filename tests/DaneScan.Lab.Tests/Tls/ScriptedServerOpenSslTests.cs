using System.Text.RegularExpressions;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>Each scripted behaviour, as <c>openssl s_client -starttls smtp</c> (an independent TLS client) sees it.</summary>
[Trait("Category", "Integration")]
[Collection(TlsLabCollection.Name)]
public sealed partial class ScriptedServerOpenSslTests(TlsLabFixture lab)
{
    [GeneratedRegex(@"^ *(\d+) s:(.*)$", RegexOptions.Multiline)]
    private static partial Regex ChainSubject();

    [GeneratedRegex(@"^New, (TLSv1\.[23]|\(NONE\)), Cipher is", RegexOptions.Multiline)]
    private static partial Regex NegotiatedProtocol();

    private static List<string> Subjects(string output) =>
        [.. ChainSubject().Matches(output).Select(m => m.Groups[2].Value.Trim())];

    private static string Protocol(string output) => NegotiatedProtocol().Match(output).Groups[1].Value;

    private Task<ExternalTool.Result> SClient(string host, IEnumerable<string>? extra = null, string? input = null)
    {
        var spec = lab.Hosts[host];
        return ExternalTool.SClientAsync(spec.Address, spec.Port, TlsLabFixture.MxName, extra, input);
    }

    [Fact]
    public async Task Full_chain_host_sends_leaf_intermediate_and_root_exactly()
    {
        var result = await SClient("full");
        var subjects = Subjects(result.StdOut);
        Assert.Equal(3, subjects.Count);
        Assert.Contains("CN = mx.tls.lab", subjects[0], StringComparison.Ordinal);
        Assert.Contains("CN = DaneScan Lab Intermediate CA", subjects[1], StringComparison.Ordinal);
        Assert.Contains("CN = DaneScan Lab Root CA", subjects[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leaf_plus_intermediate_host_sends_two_certificates()
    {
        var subjects = Subjects((await SClient("leaf-int")).StdOut);
        Assert.Equal(2, subjects.Count);
        Assert.Contains("CN = DaneScan Lab Intermediate CA", subjects[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leaf_only_host_sends_only_the_leaf_even_though_it_was_issued_by_the_intermediate()
    {
        var result = await SClient("leaf");
        var subjects = Subjects(result.StdOut);
        Assert.Single(subjects);
        Assert.Contains("CN = mx.tls.lab", subjects[0], StringComparison.Ordinal);
        Assert.Contains("unable to verify the first certificate", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chain_with_expired_intermediate_is_sent_as_written()
    {
        var subjects = Subjects((await SClient("expired-int")).StdOut);
        Assert.Equal(3, subjects.Count);
        Assert.Contains("CN = DaneScan Lab Expired Intermediate CA", subjects[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Self_signed_rsa_host_presents_an_rsa_2048_key()
    {
        var result = await SClient("rsa");
        Assert.Single(Subjects(result.StdOut));
        Assert.Contains("Server public key is 2048 bit", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("self-signed certificate", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_host_negotiates_tls13_and_accepts_tls12_when_the_client_asks()
    {
        Assert.Equal("TLSv1.3", Protocol((await SClient("ecdsa")).StdOut));
        Assert.Equal("TLSv1.2", Protocol((await SClient("ecdsa", ["-tls1_2"])).StdOut));
    }

    [Fact]
    public async Task Tls12_only_host_negotiates_tls12_and_refuses_a_tls13_only_client()
    {
        Assert.Equal("TLSv1.2", Protocol((await SClient("tls12")).StdOut));
        var tls13 = await SClient("tls12", ["-tls1_3"]);
        Assert.Empty(Subjects(tls13.StdOut));
        Assert.Contains("alert protocol version", tls13.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls13_only_host_negotiates_tls13_and_refuses_a_tls12_only_client()
    {
        Assert.Equal("TLSv1.3", Protocol((await SClient("tls13")).StdOut));
        var tls12 = await SClient("tls13", ["-tls1_2"]);
        Assert.Empty(Subjects(tls12.StdOut));
        Assert.Contains("alert protocol version", tls12.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_without_starttls_does_not_advertise_it_and_answers_502()
    {
        var result = await SClient("no-starttls", ["-debug"]);
        Assert.Contains("Didn't find STARTTLS in server response", result.All, StringComparison.Ordinal);
        var transcript = ExternalTool.DebugReads(result.StdOut);
        Assert.Contains("250 8BITMIME", transcript, StringComparison.Ordinal);
        Assert.Contains("502 5.5.1", transcript, StringComparison.Ordinal);
        Assert.Empty(Subjects(result.StdOut));
    }

    [Fact]
    public async Task Refusing_host_advertises_starttls_then_answers_454()
    {
        var result = await SClient("refused", ["-debug"]);
        Assert.DoesNotContain("Didn't find STARTTLS", result.All, StringComparison.Ordinal);
        var transcript = ExternalTool.DebugReads(result.StdOut);
        Assert.Contains("250-STARTTLS", transcript, StringComparison.Ordinal);
        Assert.Contains("454 4.7.0 TLS not available", transcript, StringComparison.Ordinal);
        Assert.Empty(Subjects(result.StdOut));
    }

    [Fact]
    public async Task Aborting_host_closes_the_connection_after_the_client_hello()
    {
        var result = await SClient("abort", ["-debug"]);
        Assert.Contains("220 2.0.0 Ready to start TLS", ExternalTool.DebugReads(result.StdOut), StringComparison.Ordinal);
        Assert.Contains("unexpected eof while reading", result.All, StringComparison.Ordinal);
        Assert.Contains("no peer certificate available", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_host_answers_the_client_hello_with_non_tls_bytes()
    {
        var result = await SClient("garbage", ["-debug"]);
        Assert.Contains("220 2.0.0 Ready to start TLS", ExternalTool.DebugReads(result.StdOut), StringComparison.Ordinal);
        Assert.Contains("wrong version number", result.All, StringComparison.Ordinal);
        Assert.Contains("no peer certificate available", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resetting_host_resets_the_connection_after_the_client_hello()
    {
        var result = await SClient("reset");
        Assert.Matches("errno=104|Connection reset by peer", result.All);
        Assert.Contains("no peer certificate available", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closed_host_refuses_the_connection()
    {
        var result = await SClient("closed");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Connection refused", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_on_a_configured_port_listens_there_and_not_on_25()
    {
        var spec = lab.Hosts["port2525"];
        var on2525 = await ExternalTool.SClientAsync(spec.Address, 2525, TlsLabFixture.MxName);
        Assert.Single(Subjects(on2525.StdOut));
        var on25 = await ExternalTool.SClientAsync(spec.Address, 25, TlsLabFixture.MxName);
        Assert.Contains("Connection refused", on25.All, StringComparison.Ordinal);
    }
}
