using System.Net;
using System.Net.Sockets;
using System.Text;
using DaneScan.Core;
using DaneScan.Lab.Scale;

namespace DaneScan.Lab.Tests.Dns;

/// <summary>
/// Scale generation on a small instance (a free octet from 226-250): the expected-outcome file agrees with what dig sees for
/// every domain's MX RRset and every host's TLSA RRset, with the SMTP servers' STARTTLS offer, and the
/// domains pile up on the first hosts (Zipf-like).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ScaleTests
{
    [Fact]
    public async Task Scale_domains_resolve_as_their_expected_outcomes_say()
    {
        var state = Directory.CreateTempSubdirectory("danescan-lab-scale-").FullName;
        try
        {
            await using var lab = await LabEnvironment.StartAsync(new LabOptions
            {
                Octet = LabEnvironment.FreeOctet(226, 250),
                StateDirectory = state,
                IncludeCases = false,
                Scale = new ScaleOptions { Domains = 600, Hosts = 12, DomainsPerZone = 200, NoStartTlsShare = 0.25, Seed = 7 },
            });
            Assert.NotNull(lab.Scale);
            Assert.Empty(lab.Cases);
            var expected = ScaleLab.ReadExpected(lab.Scale!.ExpectedFile).ToList();
            Assert.Equal(600, expected.Count);
            Assert.Equal(expected.Select(e => e.Domain), lab.Scale.DomainNames);
            Assert.True(lab.Scale.Zones.Count(z => z.Origin.StartsWith("scale-s", StringComparison.Ordinal)) >= 2, "big zones, several of them");

            // Zipf-like: the first host carries more domains than the last ones together.
            var perHost = expected.GroupBy(e => e.MxHost).ToDictionary(g => g.Key, g => g.Count());
            Assert.True(perHost["mx0.scale-hosts.lab"] > perHost.Where(p => p.Key is "mx9.scale-hosts.lab" or "mx10.scale-hosts.lab" or "mx11.scale-hosts.lab").Sum(p => p.Value));
            Assert.Contains(expected, e => e.MxSecure);
            Assert.Contains(expected, e => !e.MxSecure);

            foreach (var e in expected.Where((_, i) => i % 10 == 0))
            {
                var mx = await Dig.QueryAsync(lab.Resolver, e.Domain, "MX");
                Assert.True(mx.Status == "NOERROR" && mx.Ad == e.MxSecure, $"{e}\n{mx.Raw}");
                Assert.Contains(mx.AnswerOfType("MX"), l => l.EndsWith(" " + e.MxHost + ".", StringComparison.Ordinal));
            }

            foreach (var host in expected.GroupBy(e => e.MxHost).Select(g => g.First()))
            {
                var a = await Dig.QueryAsync(lab.Resolver, host.MxHost, "A");
                Assert.True(a.Ad && a.AnswerOfType("A").Any(l => l.EndsWith("\t" + host.Address, StringComparison.Ordinal)), a.Raw);
                var tlsa = await Dig.QueryAsync(lab.Resolver, "_25._tcp." + host.MxHost, "TLSA");
                Assert.True(tlsa.Ad, tlsa.Raw);
                Assert.Equal(host.HostKind == ScaleHostKind.NoTlsa, tlsa.AnswerOfType("TLSA").Count == 0);
                Assert.Equal(host.HostKind == ScaleHostKind.NoTlsa, host.HostReason == HostReason.TlsaSecureDenial);
                Assert.Equal(host.HostKind != ScaleHostKind.NoTlsa && !host.StartTlsOffered, host.HostOutcome == HostOutcome.NoStartTls);
                var ehlo = await EhloAsync(IPAddress.Parse(host.Address));
                if (!host.StartTlsOffered)
                {
                    Assert.DoesNotContain("STARTTLS", ehlo, StringComparison.Ordinal);
                }
                else
                {
                    Assert.Contains("STARTTLS", ehlo, StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            await LabEnvironment.StopAsync(state);
            Directory.Delete(state, recursive: true);
        }
    }

    private static async Task<string> EhloAsync(IPAddress address)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.ConnectAsync(address, 25, timeout.Token);
        var stream = client.GetStream();
        var text = new StringBuilder();
        var buffer = new byte[4096];
        async Task ReadUntilAsync(Func<string, bool> done)
        {
            while (!done(text.ToString()))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return;
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }

        await ReadUntilAsync(t => t.Contains("\r\n", StringComparison.Ordinal));
        await stream.WriteAsync(Encoding.ASCII.GetBytes("EHLO scale.test\r\n"), timeout.Token);
        await ReadUntilAsync(t => t.LastIndexOf("\r\n250 ", StringComparison.Ordinal) is var last and >= 0 && t.IndexOf("\r\n", last + 2, StringComparison.Ordinal) > 0);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("QUIT\r\n"), timeout.Token);
        return text.ToString();
    }
}
