using BenchmarkDotNet.Attributes;
using DaneScan.Core;

namespace DaneScan.Benchmarks;

/// <summary>
/// The verdict path run once per domain of a scan: <see cref="DaneJudge.Judge(DomainScan)"/> on the three
/// shapes of domain a survey meets, and the matcher alone. Inputs are built in setup; nothing here does I/O.
/// </summary>
[MemoryDiagnoser]
public class JudgeBenchmarks
{
    private Scenarios _s = null!;

    [GlobalSetup]
    public void Setup()
    {
        _s = Scenarios.Shared;

        // Measure the success paths, not an early failure: each scenario must get its intended verdict.
        Expect(DaneJudge.Judge(_s.DaneEe).Primary, DomainDaneStatus.Protected, "DANE-EE");
        Expect(DaneJudge.Judge(_s.DaneTa).Primary, DomainDaneStatus.Protected, "DANE-TA");
        Expect(DaneJudge.Judge(_s.NonDane).Primary, DomainDaneStatus.NotDane, "non-DANE");
        Expect(DaneMatcher.Judge(_s.TaChain, _s.TaRecords, _s.TaReferences, BenchPki.Now).Reason, HostReason.DaneTaMatched, "matcher TA");
        Expect(DaneMatcher.Judge(_s.EeChain, _s.EeRecords, _s.EeReferences, BenchPki.Now).Reason, HostReason.DaneEeMatched, "matcher EE");
    }

    [Benchmark(Description = "DaneJudge.Judge DANE-EE domain (2 MX, 3 1 1 x2)")]
    public DomainVerdict JudgeDaneEe() => DaneJudge.Judge(_s.DaneEe);

    [Benchmark(Description = "DaneJudge.Judge DANE-TA domain (leaf+int+root, 2 0 1)")]
    public DomainVerdict JudgeDaneTa() => DaneJudge.Judge(_s.DaneTa);

    [Benchmark(Description = "DaneJudge.Judge non-DANE domain (insecure MX)")]
    public DomainVerdict JudgeNonDane() => DaneJudge.Judge(_s.NonDane);

    [Benchmark(Description = "DaneMatcher.Judge DANE-EE chain")]
    public ChainJudgement MatchDaneEe() => DaneMatcher.Judge(_s.EeChain, _s.EeRecords, _s.EeReferences, BenchPki.Now);

    [Benchmark(Description = "DaneMatcher.Judge DANE-TA chain (path validation)")]
    public ChainJudgement MatchDaneTa() => DaneMatcher.Judge(_s.TaChain, _s.TaRecords, _s.TaReferences, BenchPki.Now);

    [Benchmark(Description = "TlsaRules.Assess mixed RRset (10 records)")]
    public IReadOnlyList<TlsaRecordAssessment> AssessMixed() => TlsaRules.Assess(_s.MixedRrset);

    private static void Expect<T>(T actual, T expected, string what)
        where T : struct, Enum
    {
        if (!actual.Equals(expected))
        {
            throw new InvalidOperationException($"Benchmark scenario {what}: expected {expected}, got {actual}.");
        }
    }
}

/// <summary>The observation JSON written and read once per domain by the stores and export.</summary>
[MemoryDiagnoser]
public class JsonBenchmarks
{
    private DomainScan _scan = null!;
    private string _json = null!;

    [GlobalSetup]
    public void Setup()
    {
        _scan = Scenarios.Shared.DaneEe;
        _json = DaneJson.SerializeScan(_scan);
        var back = DaneJson.DeserializeScan(_json);
        if (DaneJudge.Judge(back).Primary != DaneJudge.Judge(_scan).Primary)
        {
            throw new InvalidOperationException("The JSON round trip changed the verdict.");
        }
    }

    /// <summary>The DANE-EE domain: 2 hosts, 2 probes each presenting a 2-certificate chain.</summary>
    [Benchmark(Description = "DaneJson.SerializeScan DANE-EE domain")]
    public string Serialize() => DaneJson.SerializeScan(_scan);

    [Benchmark(Description = "DaneJson.DeserializeScan DANE-EE domain")]
    public DomainScan Deserialize() => DaneJson.DeserializeScan(_json);

    /// <summary>The size of the document, for the report.</summary>
    public int JsonLength => _json.Length;
}
