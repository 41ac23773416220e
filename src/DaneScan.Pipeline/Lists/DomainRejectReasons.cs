using DaneScan.Contracts;

namespace DaneScan.Pipeline.Lists;

/// <summary>Human explanations of <see cref="DomainRejectReason"/>, for error messages and reports.</summary>
public static class DomainRejectReasons
{
    public static string Describe(DomainRejectReason reason) => reason switch
    {
        DomainRejectReason.LineTooLong => "the line is too long",
        DomainRejectReason.MalformedCsv => "not a 'rank,domain' CSV line",
        DomainRejectReason.InvalidCharacter => "a label holds a character other than letters, digits and hyphen",
        DomainRejectReason.EmptyLabel => "it has an empty label",
        DomainRejectReason.LabelTooLong => $"a label is longer than {DomainNameNormalizer.MaxLabelLength} octets",
        DomainRejectReason.NameTooLong => $"the name is longer than {DomainNameNormalizer.MaxNameLength} octets",
        DomainRejectReason.SingleLabel => "it has a single label (a top-level domain or a bare host name)",
        DomainRejectReason.HyphenAtLabelEdge => "a label starts or ends with a hyphen",
        DomainRejectReason.ReservedHyphens => "a label has '--' in positions 3 and 4 without being an xn-- A-label",
        DomainRejectReason.InvalidPunycode => "an xn-- label is not valid Punycode",
        DomainRejectReason.DisallowedUnicode => "a label holds a character IDNA does not allow",
        DomainRejectReason.NumericTopLevelLabel => "the last label is numeric (an address, not a domain)",
        DomainRejectReason.SpecialUseName => "a special-use name (RFC 6761, 6762, 7686, 8375, 9476), never a mail domain on the internet",
        DomainRejectReason.Duplicate => "a duplicate",
        _ => reason.ToString(),
    };
}
