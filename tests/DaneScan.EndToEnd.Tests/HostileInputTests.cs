using System.Globalization;
using System.Text;
using System.Text.Json;
using DaneScan.Lab.Cases;

namespace DaneScan.EndToEnd.Tests;

/// <summary>
/// What hostile servers send, through the real program against the lab (issue 11): names with terminal escapes,
/// chains of more than 100 certificates, a connection killed after the handshake, an MX name with non-LDH bytes.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class HostileInputTests(EndToEndLab fixture)
{
    private static readonly char[] TerminalControls = [.. Enumerable.Range(0, 0x20).Where(c => c != '\n').Select(c => (char)c), '\u007f', '\u009b', '\u202e', '\u2066'];

    private string[] Lab(params string[] args) => [.. args, "--lab", fixture.Lab.StateDirectory];

    [Fact]
    public async Task Check_shows_escape_sequences_from_certificates_and_banners_escaped_never_raw()
    {
        var result = await Cli.RunAsync(Lab("check", "hostile-names.lab"));

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Stdout.IndexOfAny(TerminalControls) < 0, "raw control or bidi character in the report:\n" + result.Stdout);
        // The leaf's CN (screen clear, bidi override) and SAN (OSC title ended by BEL), escaped where they stand.
        Assert.Contains(@"CN=mx.hostile-names.lab\x1b[2J\u202egnp.exe", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(@"x\x1b]0;owned\x07.hostile-names.lab", result.Stdout, StringComparison.Ordinal);
        // The banner's bidi override survives the SMTP reader as a character: shown escaped.
        var banner = result.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("banner", StringComparison.Ordinal));
        Assert.Contains(@"\u202egnp.exe", banner, StringComparison.Ordinal);
        Assert.Contains("Authenticated / DaneEeMatched", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_keeps_the_certificate_names_exact()
    {
        var result = await Cli.RunAsync(Lab("check", "hostile-names.lab", "--json"));

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain('\u001b', result.Stdout); // JSON escapes controls itself ...
        using var doc = JsonDocument.Parse(result.Stdout);
        var probe = doc.RootElement.GetProperty("observation").GetProperty("payload").GetProperty("probes")[0];
        var leafDer = probe.GetProperty("presentedChain")[0].GetBytesFromBase64();
        using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(leafDer);
        // ... and the raw value comes back exactly: the CN as the server sent it.
        Assert.Contains("mx.hostile-names.lab\u001b[2J\u202egnp.exe", leaf.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_csv_holds_no_control_byte_and_jsonl_keeps_raw_values()
    {
        var dir = Directory.CreateTempSubdirectory("danescan-e2e-hostile-");
        try
        {
            var list = Path.Combine(dir.FullName, "list.txt");
            await File.WriteAllTextAsync(list, "hostile-names.lab\nnon-ldh-mx.lab\nee-11.lab\n");
            var runs = Path.Combine(dir.FullName, "runs");
            var scan = await Cli.RunAsync(Lab("scan", list, "--run-id", "hostile", "--out", runs));
            Assert.True(scan.ExitCode == 0, scan.Stderr + scan.Stdout);
            Assert.True(scan.Stdout.IndexOfAny(TerminalControls) < 0, "raw control character in the scan summary:\n" + scan.Stdout);
            Assert.Contains(@"mx\\027.non-ldh-mx.lab", scan.Stdout, StringComparison.Ordinal);

            foreach (var format in new[] { "csv", "jsonl" })
            {
                var export = await Cli.RunAsync("export", "hostile", "--runs-dir", runs, "--format", format, "-o", Path.Combine(dir.FullName, format));
                Assert.True(export.ExitCode == 0, export.Stderr);
            }

            var csv = await File.ReadAllBytesAsync(Path.Combine(dir.FullName, "csv", "hosts.csv"));
            var text = Encoding.UTF8.GetString(csv);
            // The only control bytes are the CRLF line ends; no bidi character either.
            Assert.Equal(text.Count(c => c == '\n'), text.Count(c => c == '\r'));
            Assert.True(text.Replace("\r\n", "", StringComparison.Ordinal).IndexOfAny(TerminalControls) < 0, "control byte in hosts.csv:\n" + text);
            var row = text.Split("\r\n").Single(l => l.Contains("mx.hostile-names.lab,127.", StringComparison.Ordinal));
            Assert.Contains("\"O=DaneScan Lab, CN=mx.hostile-names.lab\\x1b[2J\\u202egnp.exe\"", row, StringComparison.Ordinal);
            Assert.Contains(@"mx.hostile-names.lab;x\x1b]0;owned\x07.hostile-names.lab", row, StringComparison.Ordinal);
            var domains = await File.ReadAllTextAsync(Path.Combine(dir.FullName, "csv", "domains.csv"));
            Assert.Contains(@"mx\\027.non-ldh-mx.lab=NotDane/TlsaSecureDenial", domains, StringComparison.Ordinal);

            var jsonl = await File.ReadAllLinesAsync(Path.Combine(dir.FullName, "jsonl", "hosts.jsonl"));
            using var doc = JsonDocument.Parse(jsonl.Single(l => l.Contains("mx.hostile-names.lab", StringComparison.Ordinal) && l.Contains("leaf_subject", StringComparison.Ordinal)));
            Assert.Equal("O=DaneScan Lab, CN=mx.hostile-names.lab\u001b[2J\u202egnp.exe", doc.RootElement.GetProperty("leaf_subject").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_chain_of_112_certificates_is_captured_and_judged_as_sent()
    {
        var ee = await Cli.RunAsync(Lab("check", "long-chain-ee.lab"));
        var near = await Cli.RunAsync(Lab("check", "long-chain-ta-near.lab"));
        var far = await Cli.RunAsync(Lab("check", "long-chain-ta-too-long.lab"));

        var last = string.Create(CultureInfo.InvariantCulture, $"chain[{LabCatalogue.LongChainCas + 1}]");
        Assert.Contains("all MX: Protected", ee.Stdout, StringComparison.Ordinal);
        Assert.Contains("Authenticated / DaneEeMatched", ee.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("TlsHandshakeFailed", ee.Stdout, StringComparison.Ordinal);
        Assert.Contains(last + " O=DaneScan Lab, CN=DaneScan Lab Root CA", ee.Stdout, StringComparison.Ordinal);
        Assert.Contains("Authenticated / DaneTaMatched", near.Stdout, StringComparison.Ordinal);
        Assert.Contains("MATCHED at depth 1", near.Stdout, StringComparison.Ordinal);
        Assert.Contains("AuthenticationFailed / ChainTooLong [RFC 8460: certificate-not-trusted]", far.Stdout, StringComparison.Ordinal);
        Assert.Contains("longer than 100 certificates", far.Stdout, StringComparison.Ordinal);
        Assert.Contains(last, far.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dane_ta_anchor_at_depth_13_authenticates()
    {
        var result = await Cli.RunAsync(Lab("check", "ta-deep-path.lab"));

        Assert.Contains("all MX: Protected", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"MATCHED at depth {LabCatalogue.DeepTaCas + 1}"), result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ChainIncomplete", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_killed_after_the_handshake_is_not_protected()
    {
        var result = await Cli.RunAsync(Lab("check", "killed-after-handshake.lab"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("all MX: Failing   primary MX: Failing", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Unreachable / TlsSessionFailed", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("probe     TlsSessionFailed at EhloAfterTls", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("chain[0]", result.Stdout, StringComparison.Ordinal); // the chain is still shown
    }

    [Fact]
    public async Task A_non_ldh_mx_name_is_looked_up_by_its_wire_bytes_and_shown_escaped()
    {
        var result = await Cli.RunAsync(Lab("check", "non-ldh-mx.lab"));
        var address = fixture.Lab.Host(@"mx\027.non-ldh-mx.lab").Address!.ToString();

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Stdout.IndexOfAny(TerminalControls) < 0, result.Stdout);
        Assert.Contains(@"MX 10 mx\\027.non-ldh-mx.lab (primary)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"A         {address} (SecureAnswer", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("NotDane / TlsaSecureDenial", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("NoAddressRecords", result.Stdout, StringComparison.Ordinal);
    }
    /// <summary>
    /// <c>check</c> has scan's per-domain deadline (<c>--domain-deadline</c>) with scan's rule when it expires: the
    /// domain is judged with the probes that finished, an unfinished one's address NotProbed / ProbeMissing, and
    /// the check is still a result (exit 0, docs/exit-codes.md). The server accepts and never speaks, so without the
    /// deadline the probe waits out its banner deadline (30 s) and its retry.
    /// </summary>
    [Fact]
    public async Task Check_stops_at_its_domain_deadline_with_the_unfinished_probe_judged_missing()
    {
        var silent = LabCatalogue.Get("silent-server");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await Cli.RunAsync(Lab("check", silent.Domain, "--domain-deadline", "3"));
        clock.Stop();

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"check ended after {clock.Elapsed}, before its deadline: was the server silent?");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3 + 10), $"check took {clock.Elapsed} with --domain-deadline 3");
        Assert.Contains("all MX: NotApplicable", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("verdict   NotProbed / ProbeMissing", result.Stdout, StringComparison.Ordinal);
        var line = Assert.Single(result.Stdout.Split('\n'), l => l.Contains("deadline expired", StringComparison.Ordinal)).Trim();
        Assert.StartsWith("deadline expired: --domain-deadline 3 s passed with 1 of 1 probes unfinished (" + silent.Hosts[0].Name + "|", line, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("their addresses are judged NotProbed / ProbeMissing", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_json_names_the_probes_its_deadline_cut_off()
    {
        var silent = LabCatalogue.Get("silent-server");
        var result = await Cli.RunAsync(Lab("check", silent.Domain, "--domain-deadline", "3", "--json"));

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        using var doc = JsonDocument.Parse(result.Stdout);
        var pending = Assert.Single(doc.RootElement.GetProperty("pendingProbeKeys").EnumerateArray()).GetString()!;
        Assert.StartsWith(silent.Hosts[0].Name + "|", pending, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, doc.RootElement.GetProperty("observation").GetProperty("payload").GetProperty("probes").GetArrayLength());
        var host = doc.RootElement.GetProperty("verdict").GetProperty("payload").GetProperty("hosts")[0];
        Assert.Equal("ProbeMissing", host.GetProperty("reason").GetString());
        Assert.Contains("danescan check: deadline expired: --domain-deadline 3 s passed", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_within_its_deadline_says_nothing_of_it()
    {
        var result = await Cli.RunAsync(Lab("check", "ee-11.lab", "--domain-deadline", "60", "--json"));

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.False(doc.RootElement.TryGetProperty("pendingProbeKeys", out _), "pendingProbeKeys written for a check that met its deadline");
        Assert.DoesNotContain("deadline", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("NaN")]
    public async Task Check_refuses_a_domain_deadline_that_is_not_a_positive_number_of_seconds(string value)
    {
        var result = await Cli.RunAsync(Lab("check", "ee-11.lab", "--domain-deadline", value));

        Assert.Equal(2, result.ExitCode); // Usage, docs/exit-codes.md
        Assert.StartsWith($"danescan check: --domain-deadline: {value} is not a number of seconds above 0", result.Stderr, StringComparison.Ordinal);
    }
}
