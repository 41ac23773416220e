using DaneScan.Core;
using DaneScan.Lab.Cases;
using DaneScan.Pipeline.Politeness;

namespace DaneScan.EndToEnd.Tests;

/// <summary>
/// Every lab case, through the real lab (nsd with signed zones, validating unbound, real SMTP and TLS on
/// loopback): the engine's verdict for the domain and the outcome and reason of each MX host must be what
/// the catalogue, written from docs/dane-rules.md independently of the engine, expects.
/// </summary>
[Trait("Category", "Integration")]
[Collection(EndToEndCollection.Name)]
public sealed class CaseVerdictTests(EndToEndLab fixture)
{
    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        foreach (var c in LabCatalogue.All)
        {
            data.Add(c.Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task Verdict_matches_the_catalogue(string id)
    {
        var labCase = fixture.Lab.Cases.Single(c => c.Id == id);
        using var limiter = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero });
        var checker = fixture.NewChecker(limiter);

        var (scan, verdict) = await checker.CheckAsync(labCase.Domain);

        var expected = labCase.Expected;
        var context = $"{id} ({labCase.Description})\n{DaneJson.SerializeVerdict(verdict, indented: true)}";
        Assert.True(expected.Mx == verdict.MxStatus, $"MX status: expected {expected.Mx}, got {verdict.MxStatus}. {context}");
        Assert.True(expected.MxSecure == verdict.MxSecure, $"MX secure: expected {expected.MxSecure}, got {verdict.MxSecure}. {context}");
        Assert.True(expected.AllMx == verdict.All, $"all-MX: expected {expected.AllMx}, got {verdict.All}. {context}");
        Assert.True(expected.PrimaryMx == verdict.Primary, $"primary-MX: expected {expected.PrimaryMx}, got {verdict.Primary}. {context}");
        Assert.Equal(DnsTrustMode.ValidatingResolverAd, verdict.TrustMode);

        var judgedHosts = labCase.Hosts.Where(h => verdict.MxStatus is MxStatus.MxHosts or MxStatus.ImplicitMx or MxStatus.NullMxMixed).ToList();
        foreach (var host in judgedHosts)
        {
            var actual = verdict.Hosts.SingleOrDefault(h => string.Equals(h.Name, host.Name, StringComparison.OrdinalIgnoreCase));
            Assert.True(actual is not null, $"host {host.Name} missing from the verdict. {context}");
            Assert.True(host.Expected.Outcome == actual.Outcome && host.Expected.Reason == actual.Reason,
                $"host {host.Name}: expected {host.Expected.Outcome}/{host.Expected.Reason}, got {actual.Outcome}/{actual.Reason} ({actual.Detail}). {context}");
            if (host.TlsaBase is not null && actual.TlsaBase is not null)
            {
                Assert.Equal(host.TlsaBase, actual.TlsaBase);
            }

            if (host.Expected.MatchedTlsa is { } spec)
            {
                Assert.True(actual.Match is not null, $"host {host.Name}: no match reported. {context}");
                Assert.True(spec.Usage == (byte)actual.Match.Record.Usage && spec.Selector == (byte)actual.Match.Record.Selector &&
                    spec.MatchingType == (byte)actual.Match.Record.MatchingType,
                    $"host {host.Name}: expected match by {spec}, got {actual.Match.Record}. {context}");
                if (host.Expected.MatchedDepth is { } depth)
                {
                    Assert.True(depth == actual.Match.Depth, $"host {host.Name}: expected match at depth {depth}, got {actual.Match.Depth}. {context}");
                }
            }
        }

        Assert.Equal(judgedHosts.Count, verdict.Hosts.Count);

        // The verdict is a pure function of the observation: recomputed from its JSON, it is the same.
        var again = DaneJudge.Judge(DaneJson.DeserializeScan(DaneJson.SerializeScan(scan)));
        Assert.Equal(DaneJson.SerializeVerdict(verdict), DaneJson.SerializeVerdict(again));
    }
}
