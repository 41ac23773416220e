using DaneScan.Core;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Testing;

namespace DaneScan.Lab.Tests.Dns;

/// <summary>
/// For every case of the catalogue, dig (an independent tool) confirms the intended DNSSEC state of each
/// relevant RRset at the lab's validating unbound: the AD flag, the rcode, the Extended DNS Error, and with
/// +cd (checking disabled) that bogus data is really there and only its validation fails. delv, validating
/// on its own from the lab's root trust anchor (unbound only relays with CD set), must agree.
/// </summary>
[Trait("Category", "Integration")]
[Collection(LabCollection.Name)]
public sealed class CaseDnsStateTests(LabFixture fixture)
{
    /// <summary>EDE info codes that say DNSSEC validation failed (RFC 8914 §4.2-§4.13).</summary>
    private static readonly HashSet<int> DnssecEde = [1, 2, 5, 6, 7, 8, 9, 10, 11, 12];

    public static TheoryData<string, int> Rrsets()
    {
        var data = new TheoryData<string, int>();
        foreach (var c in LabCatalogue.All)
        {
            for (var i = 0; i < c.Rrsets.Count; i++)
            {
                data.Add(c.Id, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rrsets))]
    public async Task Rrset_has_the_intended_dnssec_state(string caseId, int index)
    {
        var expected = LabCatalogue.Get(caseId).Rrsets[index];
        var answer = await Dig.QueryAsync(fixture.Lab.Resolver, expected.Name, expected.Type);
        var because = $"{caseId}: {expected}\n{answer.Raw}";
        switch (expected.Outcome)
        {
            case DnsOutcome.SecureAnswer:
                Assert.True(answer.Status == "NOERROR" && answer.Ad && answer.AnswerOfType(expected.Type).Count > 0, because);
                break;
            case DnsOutcome.SecureDenial:
                Assert.True(answer.Status is "NXDOMAIN" or "NOERROR", because);
                Assert.True(answer.Ad && answer.AnswerOfType(expected.Type).Count == 0, because);
                break;
            case DnsOutcome.InsecureAnswer:
                Assert.True(answer.Status == "NOERROR" && !answer.Ad && answer.AnswerOfType(expected.Type).Count > 0, because);
                break;
            case DnsOutcome.InsecureDenial:
                Assert.True(answer.Status is "NXDOMAIN" or "NOERROR", because);
                Assert.True(!answer.Ad && answer.AnswerOfType(expected.Type).Count == 0, because);
                break;
            case DnsOutcome.Bogus:
                Assert.True(answer.Status == "SERVFAIL" && answer.Ede is { } ede && DnssecEde.Contains(ede), because);
                var unchecked_ = await Dig.QueryAsync(fixture.Lab.Resolver, expected.Name, expected.Type, cd: true);
                Assert.True(unchecked_.Status == "NOERROR" && unchecked_.AnswerOfType(expected.Type).Count > 0, $"{because}\n+cd:\n{unchecked_.Raw}");
                break;
            case DnsOutcome.LookupFailure:
                Assert.True(answer.Status == "SERVFAIL" && (answer.Ede is null || !DnssecEde.Contains(answer.Ede.Value)), because);
                var cd = await Dig.QueryAsync(fixture.Lab.Resolver, expected.Name, expected.Type, cd: true);
                Assert.True(cd.Status == "SERVFAIL", $"{because}\n+cd:\n{cd.Raw}");
                break;
            default:
                Assert.Fail($"unexpected outcome {expected.Outcome}");
                break;
        }

        var anchor = Path.Combine(fixture.Lab.StateDirectory, "delv-anchor.conf");
        if (!File.Exists(anchor))
        {
            // A name of its own per writer: concurrent tests may share a managed thread id across awaits.
            var part = anchor + "." + Guid.NewGuid().ToString("N");
            await File.WriteAllTextAsync(part, fixture.Lab.DelvTrustAnchor());
            File.Move(part, anchor, overwrite: true);
        }

        var delv = await Delv.QueryAsync(fixture.Lab.Resolver, anchor, expected.Name, expected.Type);
        var delvBecause = $"{caseId}: {expected}\ndelv: {delv.Raw}\n{delv.Errors}";
        switch (expected.Outcome)
        {
            case DnsOutcome.SecureAnswer:
                Assert.True(delv.FullyValidated && !delv.Negative, delvBecause);
                break;
            case DnsOutcome.SecureDenial:
                Assert.True(delv.FullyValidated && delv.Negative, delvBecause);
                break;
            case DnsOutcome.InsecureAnswer:
                Assert.True(delv.Unsigned && !delv.Negative, delvBecause);
                break;
            case DnsOutcome.InsecureDenial:
                Assert.True(delv.Unsigned && delv.Negative, delvBecause);
                break;
            default:
                Assert.True(delv.ResolutionFailed && !delv.FullyValidated, delvBecause);
                break;
        }
    }

    [Fact]
    public async Task Address_records_point_at_the_hosts_lab_addresses()
    {
        foreach (var host in fixture.Lab.Hosts.Where(h => h.Address is not null && h.Host.Expected.Outcome != HostOutcome.AddressLookupFailed))
        {
            var answer = await Dig.QueryAsync(fixture.Lab.Resolver, host.Name, "A");
            var a = answer.AnswerOfType("A");
            if (host.Host.Expected.Outcome is HostOutcome.NotDane && a.Count == 0)
            {
                continue;
            }

            // dig aligns with tabs, or with a space after a long owner name: compare the last field.
            Assert.True(a.Any(l => l.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[^1] == host.Address!.ToString()), $"{host}: {answer.Raw}");
        }
    }
}
