using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace DaneScan.Core;

/// <summary>
/// The chain-versus-TLSA work of one run, done once: the judgement of a presented chain against a TLSA RRset
/// and (where a DANE-TA record makes them matter) reference identifiers is kept per probe (one probe is one (host, address, port) of the run, with its
/// chain and its time), and so is which presented key each TLSA record matches (the rollover finding). The
/// hundredth domain on a host then costs a dictionary lookup instead of X.509 parsing and signature checks.
/// Verdicts are the same with or without a memo: it only keeps results of pure functions.
/// </summary>
/// <remarks>
/// Keyed by the probe object: entries live as long as the probe does (the run's probe registry holds each
/// probe once), and a probe deserialised anew (a resumed run, a re-judgement) simply starts a new entry.
/// </remarks>
public sealed class JudgementMemo
{
    private readonly ConditionalWeakTable<ProbeObservation, ProbeMemo> _probes = [];
    private long _hits;
    private long _misses;

    /// <summary>Chain judgements answered from the memo.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Chain judgements computed (once per probe, TLSA RRset and reference identifiers).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary><see cref="DaneMatcher.Judge"/> of the probe's chain, at the probe's time, memoised.</summary>
    public ChainJudgement Judge(ProbeObservation probe, IReadOnlyList<TlsaRecord> tlsa, IReadOnlyList<string> referenceIdentifiers)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(tlsa);
        ArgumentNullException.ThrowIfNull(referenceIdentifiers);
        var memo = _probes.GetValue(probe, _ => new ProbeMemo());
        var key = KeyOf(tlsa, referenceIdentifiers);
        Lazy<ChainJudgement>? mine = null;
        var entry = memo.Judgements.GetOrAdd(key, _ =>
            mine = new Lazy<ChainJudgement>(() => DaneMatcher.Judge(probe.PresentedChain, tlsa, referenceIdentifiers, probe.StartedUtc)));

        // Single-flight: domains judging the same probe at once wait for the one judgement (Lazy's lock);
        // only the caller whose entry was kept counts it as computed.
        if (ReferenceEquals(entry, mine))
        {
            Interlocked.Increment(ref _misses);
        }
        else
        {
            Interlocked.Increment(ref _hits);
        }

        return entry.Value;
    }

    /// <summary>
    /// The SPKI digest ("key:...") of the first certificate of the probe's chain that <paramref name="record"/>
    /// matches, or null when none does; memoised per probe and record (see <see cref="BestPractice.DistinctAssociations"/>).
    /// </summary>
    public string? MatchedKey(ProbeObservation probe, TlsaRecord record)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(record);
        var memo = _probes.GetValue(probe, _ => new ProbeMemo());
        return memo.MatchedKeys.GetOrAdd(record, r => BestPractice.MatchedKey(probe.PresentedChain, r));
    }

    private static string KeyOf(IReadOnlyList<TlsaRecord> tlsa, IReadOnlyList<string> referenceIdentifiers)
    {
        var text = new StringBuilder();
        foreach (var r in tlsa)
        {
            text.Append((byte)r.Usage).Append(' ').Append((byte)r.Selector).Append(' ').Append((byte)r.MatchingType).Append(' ')
                .Append(Convert.ToHexString(r.Data)).Append('\n');
        }

        // Reference identifiers only enter DANE-TA name checks (DANE-EE has none, RFC 7671 §5.1): without a
        // DANE-TA record the judgement is the same for every domain on the host, whatever its name.
        text.Append('|');
        if (tlsa.Any(r => r.Usage == TlsaUsage.DaneTa))
        {
            foreach (var name in referenceIdentifiers)
            {
                text.Append(name).Append('\n');
            }
        }

        return text.Length <= 256 ? text.ToString() : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private sealed class ProbeMemo
    {
        public ConcurrentDictionary<string, Lazy<ChainJudgement>> Judgements { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<TlsaRecord, string?> MatchedKeys { get; } = new();
    }
}
