using System.Buffers.Binary;
using System.Text;

namespace DaneScan.Dns;

/// <summary>An Extended DNS Error (RFC 8914) carried in a response's OPT record.</summary>
/// <param name="InfoCode">The INFO-CODE.</param>
/// <param name="ExtraText">The EXTRA-TEXT (UTF-8), possibly empty.</param>
public sealed record ExtendedDnsError(int InfoCode, string ExtraText)
{
    /// <summary>The EDNS option code of Extended DNS Errors.</summary>
    public const ushort OptionCode = 15;

    /// <summary>
    /// True for the RFC 8914 codes that report a failed DNSSEC validation: 1 Unsupported DNSKEY Algorithm,
    /// 2 Unsupported DS Digest Type, 5 DNSSEC Indeterminate, 6 DNSSEC Bogus, 7 Signature Expired,
    /// 8 Signature Not Yet Valid, 9 DNSKEY Missing, 10 RRSIGs Missing, 11 No Zone Key Bit Set, 12 NSEC Missing.
    /// 3 (Stale Answer) and 4 (Forged Answer) sit in the same range but say nothing about validation.
    /// </summary>
    public bool IsDnssecFailure => InfoCode is 1 or 2 or (>= 5 and <= 12);

    /// <summary>
    /// Reads the EDE options from the RDATA of an OPT record (a sequence of OPTION-CODE, OPTION-LENGTH,
    /// OPTION-DATA, RFC 6891 §6.1.2). Malformed trailing bytes end the walk; nothing throws.
    /// </summary>
    public static IReadOnlyList<ExtendedDnsError> Parse(ReadOnlySpan<byte> optRdata)
    {
        var found = new List<ExtendedDnsError>();
        while (optRdata.Length >= 4)
        {
            var code = BinaryPrimitives.ReadUInt16BigEndian(optRdata);
            var length = BinaryPrimitives.ReadUInt16BigEndian(optRdata[2..]);
            if (optRdata.Length < 4 + length)
            {
                break;
            }

            var data = optRdata.Slice(4, length);
            if (code == OptionCode && data.Length >= 2)
            {
                var info = BinaryPrimitives.ReadUInt16BigEndian(data);
                var text = Encoding.UTF8.GetString(data[2..]).TrimEnd('\0');
                found.Add(new ExtendedDnsError(info, text));
            }

            optRdata = optRdata[(4 + length)..];
        }

        return found;
    }
}
