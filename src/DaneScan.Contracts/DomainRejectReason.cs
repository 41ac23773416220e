namespace DaneScan.Contracts;

/// <summary>Why a line of a domain list did not yield a domain to scan. Every rejected line is counted under one reason.</summary>
public enum DomainRejectReason
{
    /// <summary>The line is longer than the reader's bound (the rest of the line is discarded unread into memory).</summary>
    LineTooLong,

    /// <summary>A CSV line without a rank and a domain field, or with a rank that is not a positive integer.</summary>
    MalformedCsv,

    /// <summary>A character outside letters, digits and hyphen in an ASCII label (for example '_', ' ', '*', '/').</summary>
    InvalidCharacter,

    /// <summary>An empty label: "a..b", ".a.b" or a name that is only a dot.</summary>
    EmptyLabel,

    /// <summary>A label longer than 63 octets (after IDNA encoding).</summary>
    LabelTooLong,

    /// <summary>A name longer than 253 octets in text form (after IDNA encoding, without the trailing dot).</summary>
    NameTooLong,

    /// <summary>A name with one label: a top-level domain or a bare host name, not a mail domain.</summary>
    SingleLabel,

    /// <summary>A label that starts or ends with a hyphen.</summary>
    HyphenAtLabelEdge,

    /// <summary>An ASCII label with "--" in positions 3 and 4 that is not an "xn--" A-label (reserved, RFC 5891 §4.2.3.1).</summary>
    ReservedHyphens,

    /// <summary>An "xn--" label that is not valid Punycode, or that does not encode back to itself.</summary>
    InvalidPunycode,

    /// <summary>A Unicode label with a character IDNA does not allow (symbols, punctuation, joiners, compatibility forms).</summary>
    DisallowedUnicode,

    /// <summary>The last label is all digits: the line is an address or a number, not a domain name.</summary>
    NumericTopLevelLabel,

    /// <summary>The name was already read earlier in this run (in this list or an earlier one).</summary>
    Duplicate,

    /// <summary>A name under a special-use suffix (localhost, invalid, test, onion, local, alt, home.arpa: see DaneScan.Pipeline.Lists.SpecialUseNames), never a mail domain on the internet.</summary>
    SpecialUseName,
}
