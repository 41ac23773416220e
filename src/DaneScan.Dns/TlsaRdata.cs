using DaneScan.Core;

namespace DaneScan.Dns;

/// <summary>Reads TLSA RDATA (RFC 6698 §2.1) into Core's <see cref="TlsaRecord"/>.</summary>
public static class TlsaRdata
{
    /// <summary>
    /// Parses usage, selector, matching type and association data. Values outside the defined ones are kept
    /// as they came (the usability rules judge them later); so is a digest of the wrong length.
    /// Returns null when the RDATA is shorter than its three fixed octets.
    /// </summary>
    public static TlsaRecord? Parse(ReadOnlySpan<byte> rdata)
    {
        if (rdata.Length < 3)
        {
            return null;
        }

        return new TlsaRecord((TlsaUsage)rdata[0], (TlsaSelector)rdata[1], (TlsaMatchingType)rdata[2], rdata[3..].ToArray());
    }
}
