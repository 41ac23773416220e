using DaneScan.Core;
using static DaneScan.Lab.Cases.CaseBuilder;

namespace DaneScan.Lab.Cases;

/// <summary>
/// The lab's case catalogue: each case a destination domain under <c>lab.</c> with its DNS and TLS set-up and
/// the outcome dane-rules.md expects, derived by reading the rules (not from any engine).
/// </summary>
public static partial class LabCatalogue
{
    private static readonly Lazy<IReadOnlyList<LabCase>> AllCases = new(Build);

    /// <summary>Every case, in a stable order.</summary>
    public static IReadOnlyList<LabCase> All => AllCases.Value;

    /// <summary>A case by id.</summary>
    public static LabCase Get(string id) =>
        All.FirstOrDefault(c => c.Id == id) ?? throw new KeyNotFoundException($"no lab case '{id}'");

    private static IReadOnlyList<LabCase> Build()
    {
        var cases = new List<LabCase>();
        cases.AddRange(UsableCombinations());
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in cases)
        {
            if (!ids.Add(c.Id))
            {
                throw new InvalidOperationException($"duplicate lab case id {c.Id}");
            }
        }

        return cases;
    }

    private static readonly TlsSetup SelfSigned = new();
    private static readonly TlsSetup FullChain = new() { Chain = ChainKind.CaFullChain };

    /// <summary>§4, §6: each usable usage/selector/matching combination, matched.</summary>
    private static IEnumerable<LabCase> UsableCombinations()
    {
        for (byte s = 0; s <= 1; s++)
        {
            for (byte m = 0; m <= 2; m++)
            {
                var ee = T(3, s, m);
                yield return Single($"ee-{s}{m}", $"DANE-EE {3} {s} {m} matching a self-signed leaf", "§4 usable, §6 DANE-EE",
                    SelfSigned, [ee], Auth(ee, 0));
                var ta = T(2, s, m, CertRole.Root);
                yield return Single($"ta-{s}{m}", $"DANE-TA 2 {s} {m} matching the root, full chain sent", "§4 usable, §6 DANE-TA",
                    FullChain, [ta], Auth(ta, 2));
            }
        }
    }
}
