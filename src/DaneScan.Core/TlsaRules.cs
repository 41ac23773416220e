namespace DaneScan.Core;

/// <summary>Whether a TLSA record can be used by an SMTP client (docs/dane-rules.md §4; RFC 7672 §3.1.3, RFC 7671 §9).</summary>
public enum TlsaUsability
{
    /// <summary>DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching type 0, 1 (32 bytes) or 2 (64 bytes).</summary>
    Usable,

    /// <summary>PKIX-TA(0) or PKIX-EE(1): not applicable to SMTP (RFC 7672 §3.1.3).</summary>
    PkixUsage,

    /// <summary>A certificate usage outside 0-3.</summary>
    UnknownUsage,

    /// <summary>A selector outside 0-1.</summary>
    UnknownSelector,

    /// <summary>A matching type outside 0-2.</summary>
    UnknownMatchingType,

    /// <summary>SHA2-256 data that is not 32 bytes, or SHA2-512 data that is not 64 bytes.</summary>
    WrongDigestLength,

    /// <summary>Full(0) matching with no data at all: it cannot hold a certificate or key.</summary>
    EmptyData,
}

/// <summary>One TLSA record as judged: usable or why not, and whether digest agility kept it.</summary>
/// <param name="Record">The record as published.</param>
/// <param name="Usability">Usable, or the named reason it is not.</param>
/// <param name="Effective">
/// True when the record is usable and survives digest agility (RFC 7671 §9): only such records can
/// authenticate a host.
/// </param>
public sealed record TlsaRecordAssessment(TlsaRecord Record, TlsaUsability Usability, bool Effective)
{
    public bool IsUsable => Usability == TlsaUsability.Usable;
}

/// <summary>TLSA usability and digest agility: pure functions over records.</summary>
public static class TlsaRules
{
    /// <summary>Whether one record is usable for SMTP, and if not, why (checked in the order usage, selector, matching type, length).</summary>
    public static TlsaUsability Usability(TlsaRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Usage is TlsaUsage.PkixTa or TlsaUsage.PkixEe)
        {
            return TlsaUsability.PkixUsage;
        }

        if (record.Usage is not (TlsaUsage.DaneTa or TlsaUsage.DaneEe))
        {
            return TlsaUsability.UnknownUsage;
        }

        if (record.Selector is not (TlsaSelector.Cert or TlsaSelector.Spki))
        {
            return TlsaUsability.UnknownSelector;
        }

        var length = record.Data?.Length ?? 0;
        return record.MatchingType switch
        {
            TlsaMatchingType.Full => length == 0 ? TlsaUsability.EmptyData : TlsaUsability.Usable,
            TlsaMatchingType.Sha2_256 => length == 32 ? TlsaUsability.Usable : TlsaUsability.WrongDigestLength,
            TlsaMatchingType.Sha2_512 => length == 64 ? TlsaUsability.Usable : TlsaUsability.WrongDigestLength,
            _ => TlsaUsability.UnknownMatchingType,
        };
    }

    public static bool IsUsable(TlsaRecord record) => Usability(record) == TlsaUsability.Usable;

    /// <summary>
    /// Judges an RRset: each record's usability, and digest agility (RFC 7671 §9): for each (usage, selector),
    /// only Full(0) records and those with the strongest digest present among the usable records count.
    /// The order of the input is kept.
    /// </summary>
    public static IReadOnlyList<TlsaRecordAssessment> Assess(IEnumerable<TlsaRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = records.ToList();
        var usability = list.Select(Usability).ToList();
        var strongest = new Dictionary<(TlsaUsage, TlsaSelector), TlsaMatchingType>();
        for (var i = 0; i < list.Count; i++)
        {
            var r = list[i];
            if (usability[i] != TlsaUsability.Usable || r.MatchingType == TlsaMatchingType.Full)
            {
                continue;
            }

            var key = (r.Usage, r.Selector);
            if (!strongest.TryGetValue(key, out var best) || DigestStrength(r.MatchingType) > DigestStrength(best))
            {
                strongest[key] = r.MatchingType;
            }
        }

        var result = new List<TlsaRecordAssessment>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var r = list[i];
            var effective = usability[i] == TlsaUsability.Usable &&
                (r.MatchingType == TlsaMatchingType.Full || strongest[(r.Usage, r.Selector)] == r.MatchingType);
            result.Add(new TlsaRecordAssessment(r, usability[i], effective));
        }

        return result;
    }

    /// <summary>The records that may authenticate: usable and kept by digest agility.</summary>
    public static IReadOnlyList<TlsaRecord> EffectiveRecords(IEnumerable<TlsaRecord> records) =>
        [.. Assess(records).Where(a => a.Effective).Select(a => a.Record)];

    private static int DigestStrength(TlsaMatchingType matchingType) => matchingType switch
    {
        TlsaMatchingType.Sha2_256 => 1,
        TlsaMatchingType.Sha2_512 => 2,
        _ => 0,
    };
}
