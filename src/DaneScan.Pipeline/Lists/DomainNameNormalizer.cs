using System.Globalization;
using System.Text;

using DaneScan.Contracts;

namespace DaneScan.Pipeline.Lists;

/// <summary>The result of normalising one name: the A-label form, or why it was rejected.</summary>
/// <param name="Name">The normalised name (lower case A-labels, no trailing dot), or null when rejected.</param>
/// <param name="Reason">Why the name was rejected, or null when accepted.</param>
public readonly record struct NormalizedName(string? Name, DomainRejectReason? Reason)
{
    public bool IsValid => Name is not null;

    public static NormalizedName Accept(string name) => new(name, null);

    public static NormalizedName Reject(DomainRejectReason reason) => new(null, reason);
}

/// <summary>
/// Turns a domain as found in a list into the form the scanner queries: trimmed, lower case, without
/// one trailing dot, IDNA A-labels, LDH syntax, labels of at most 63 and names of at most 253 octets,
/// at least two labels.
/// </summary>
/// <remarks>
/// The build runs with InvariantGlobalization, where <see cref="IdnMapping"/> only performs Punycode
/// (no UTS 46 mapping: "BÜCHER" would encode with its capitals, full-width letters unmapped) and where
/// Unicode normalisation is a no-op. So the UTS 46 steps are done here, minimally:
/// <list type="bullet">
/// <item>the label separators U+3002, U+FF0E, U+FF61 map to '.'; full-width ASCII U+FF01..U+FF5E maps to ASCII;</item>
/// <item>case maps with the invariant (Unicode simple) lower-case mapping;</item>
/// <item>non-ASCII code points must be letters, marks or decimal digits (the IDNA 2008 LetterDigits
/// categories Ll, Lo, Lm, Mn, Mc, Nd); a label must not start with a mark; joiners (CONTEXTJ) are refused;
/// the main compatibility blocks (CJK compatibility ideographs, alphabetic presentation forms,
/// half-width forms, letter-like symbols, mathematical alphanumerics) are refused rather than mapped;</item>
/// <item>"xn--" labels are decoded, checked with the same rules and must encode back to themselves.</item>
/// </list>
/// Not done: NFC/NFKC normalisation and the bidi and contextual rules. A U-label in a list should
/// therefore already be in NFC; a decomposed one is encoded as given (and will most likely not exist).
/// Lists in practice (Tranco, zone files) carry A-labels, which are checked exactly.
/// </remarks>
public static class DomainNameNormalizer
{
    public const int MaxLabelLength = 63;
    public const int MaxNameLength = 253;

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    public static NormalizedName Normalize(ReadOnlySpan<char> raw)
    {
        var trimmed = raw.Trim().Trim('\uFEFF').Trim();
        if (trimmed.IsEmpty)
        {
            return NormalizedName.Reject(DomainRejectReason.EmptyLabel);
        }

        var text = MapSeparatorsAndWidth(trimmed);
        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        if (text.Length == 0)
        {
            return NormalizedName.Reject(DomainRejectReason.EmptyLabel);
        }

        text = text.ToLowerInvariant();
        var labels = text.Split('.');
        var output = new StringBuilder(text.Length + 8);
        foreach (var label in labels)
        {
            var (alabel, reason) = NormalizeLabel(label);
            if (reason is { } r)
            {
                return NormalizedName.Reject(r);
            }

            if (output.Length > 0)
            {
                output.Append('.');
            }

            output.Append(alabel);
        }

        if (labels.Length < 2)
        {
            return NormalizedName.Reject(DomainRejectReason.SingleLabel);
        }

        if (output.Length > MaxNameLength)
        {
            return NormalizedName.Reject(DomainRejectReason.NameTooLong);
        }

        var tld = labels[^1];
        if (tld.All(char.IsAsciiDigit))
        {
            return NormalizedName.Reject(DomainRejectReason.NumericTopLevelLabel);
        }

        return NormalizedName.Accept(output.ToString());
    }

    public static NormalizedName Normalize(string raw) => Normalize(raw.AsSpan());

    private static string MapSeparatorsAndWidth(ReadOnlySpan<char> s)
    {
        var ascii = true;
        foreach (var c in s)
        {
            if (c > 0x7F)
            {
                ascii = false;
                break;
            }
        }

        if (ascii)
        {
            return s.ToString();
        }

        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '\u3002' or '\uFF0E' or '\uFF61' => '.',
                >= '\uFF01' and <= '\uFF5E' => (char)(c - 0xFF01 + 0x21),
                _ => c,
            });
        }

        return sb.ToString();
    }

    private static (string? ALabel, DomainRejectReason? Reason) NormalizeLabel(string label)
    {
        if (label.Length == 0)
        {
            return (null, DomainRejectReason.EmptyLabel);
        }

        if (label.All(char.IsAscii))
        {
            if (CheckLdh(label) is { } ldh)
            {
                return (null, ldh);
            }

            if (label.Length > MaxLabelLength)
            {
                return (null, DomainRejectReason.LabelTooLong);
            }

            if (label.StartsWith("xn--", StringComparison.Ordinal))
            {
                return CheckALabel(label) is { } bad ? (null, bad) : (label, null);
            }

            if (label.Length >= 4 && label[2] == '-' && label[3] == '-')
            {
                return (null, DomainRejectReason.ReservedHyphens);
            }

            return (label, null);
        }

        if (CheckULabel(label) is { } reason)
        {
            return (null, reason);
        }

        string encoded;
        try
        {
            encoded = Idn.GetAscii(label);
        }
        catch (ArgumentException)
        {
            // The characters passed CheckULabel, so what Punycode refuses here is the encoded length.
            return (null, DomainRejectReason.LabelTooLong);
        }

        return encoded.Length > MaxLabelLength ? (null, DomainRejectReason.LabelTooLong) : (encoded, null);
    }

    private static DomainRejectReason? CheckLdh(string label)
    {
        foreach (var c in label)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return DomainRejectReason.InvalidCharacter;
            }
        }

        return label[0] == '-' || label[^1] == '-' ? DomainRejectReason.HyphenAtLabelEdge : null;
    }

    private static DomainRejectReason? CheckALabel(string label)
    {
        string decoded;
        try
        {
            decoded = Idn.GetUnicode(label);
        }
        catch (ArgumentException)
        {
            return DomainRejectReason.InvalidPunycode;
        }

        if (decoded.All(char.IsAscii))
        {
            return DomainRejectReason.InvalidPunycode;
        }

        if (!string.Equals(decoded, decoded.ToLowerInvariant(), StringComparison.Ordinal))
        {
            return DomainRejectReason.DisallowedUnicode;
        }

        if (CheckULabel(decoded) is { } reason)
        {
            return reason;
        }

        try
        {
            return string.Equals(Idn.GetAscii(decoded), label, StringComparison.Ordinal) ? null : DomainRejectReason.InvalidPunycode;
        }
        catch (ArgumentException)
        {
            return DomainRejectReason.InvalidPunycode;
        }
    }

    private static DomainRejectReason? CheckULabel(string label)
    {
        if (label[0] == '-' || label[^1] == '-')
        {
            return DomainRejectReason.HyphenAtLabelEdge;
        }

        var first = true;
        for (var i = 0; i < label.Length; i++)
        {
            int cp;
            if (char.IsHighSurrogate(label[i]) && i + 1 < label.Length && char.IsLowSurrogate(label[i + 1]))
            {
                cp = char.ConvertToUtf32(label[i], label[i + 1]);
            }
            else if (char.IsSurrogate(label[i]))
            {
                return DomainRejectReason.DisallowedUnicode;
            }
            else
            {
                cp = label[i];
            }

            var category = CharUnicodeInfo.GetUnicodeCategory(cp);
            if (cp > 0xFFFF)
            {
                i++;
            }

            if (cp <= 0x7F)
            {
                if (!(char.IsAsciiLetterLower((char)cp) || char.IsAsciiDigit((char)cp) || cp == '-'))
                {
                    return DomainRejectReason.InvalidCharacter;
                }
            }
            else if (IsCompatibilityBlock(cp))
            {
                return DomainRejectReason.DisallowedUnicode;
            }
            else
            {
                switch (category)
                {
                    case UnicodeCategory.LowercaseLetter:
                    case UnicodeCategory.OtherLetter:
                    case UnicodeCategory.ModifierLetter:
                    case UnicodeCategory.DecimalDigitNumber:
                        break;
                    case UnicodeCategory.NonSpacingMark:
                    case UnicodeCategory.SpacingCombiningMark:
                        if (first)
                        {
                            return DomainRejectReason.DisallowedUnicode;
                        }

                        break;
                    default:
                        return DomainRejectReason.DisallowedUnicode;
                }
            }

            first = false;
        }

        return null;
    }

    private static bool IsCompatibilityBlock(int cp) =>
        cp is (>= 0x2100 and <= 0x214F) // letter-like symbols
            or (>= 0xF900 and <= 0xFAFF) // CJK compatibility ideographs
            or (>= 0xFB00 and <= 0xFB4F) // alphabetic presentation forms (ligatures)
            or (>= 0xFE70 and <= 0xFEFF) // Arabic presentation forms-B
            or (>= 0xFB50 and <= 0xFDFF) // Arabic presentation forms-A
            or (>= 0xFF00 and <= 0xFFEF) // half-width and full-width forms left after mapping
            or (>= 0x1D400 and <= 0x1D7FF) // mathematical alphanumeric symbols
            or (>= 0x2F800 and <= 0x2FA1F); // CJK compatibility ideographs supplement
}
