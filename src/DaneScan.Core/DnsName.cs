using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaneScan.Core;

/// <summary>Why a text is not a DNS name (<see cref="DnsName.TryParse(string?, out DnsName, out DnsNameError)"/>).</summary>
public enum DnsNameError
{
    /// <summary>It is a name.</summary>
    None,

    /// <summary>Nothing but white space.</summary>
    Empty,

    /// <summary>Two dots in a row, a leading dot, or more than one trailing dot (RFC 1035 §3.1: only the root label is empty).</summary>
    EmptyLabel,

    /// <summary>A label of more than 63 octets (RFC 1035 §2.3.4), counting an escape as the one octet it stands for.</summary>
    LabelTooLong,

    /// <summary>More than 255 octets on the wire (RFC 1035 §2.3.4): 253 characters of letters, digits and hyphens without the trailing dot.</summary>
    NameTooLong,

    /// <summary>A backslash not followed by a character or by three decimal digits of at most 255 (RFC 1035 §5.1, RFC 4343 §2.1).</summary>
    MalformedEscape,

    /// <summary>A character outside ASCII: a U-label must be given as its A-label ("xn--...", RFC 5890), a raw octet as \DDD.</summary>
    NonAscii,
}

/// <summary>
/// A DNS name in DaneScan's one normal form, made once where a name enters (a list, a message, a DNS answer) and
/// compared by ordinal equality afterwards. The normal form is the presentation form (RFC 1035 §5.1) with:
/// <list type="bullet">
/// <item>ASCII letters in lower case, and nothing else case-folded: DNS compares names case-insensitively in
/// ASCII only (RFC 1035 §2.3.3, RFC 4343 §3), so <c>MX.Example</c> and <c>mx.example</c> are one name;</item>
/// <item>no trailing dot (every name is absolute); the root is <c>.</c>;</item>
/// <item>escapes as DNS answers render them (RFC 4343 §2.1): an escaped letter, digit or hyphen (<c>\065</c>,
/// <c>\A</c>) is written as the character itself, lower case, so that it compares like its plain spelling;
/// control characters, space and DEL are written <c>\DDD</c>; any other escape (<c>\.</c> for a dot inside a label,
/// <c>\DDD</c> for an octet above 127) is kept as written.</item>
/// </list>
/// <see cref="Parse"/> and <see cref="TryParse(string?, out DnsName, out DnsNameError)"/> also enforce the length
/// limits (63 octets a label, 255 octets the name on the wire) and well-formed escapes, and refuse non-ASCII text.
/// <see cref="Unchecked"/> normalises a name whose limits are known to hold (decoded from a DNS response, accepted by
/// the list normaliser, read back from a stored record) without checking them again.
/// In JSON a name is a plain string.
/// </summary>
[JsonConverter(typeof(DnsNameJsonConverter))]
public readonly record struct DnsName : IComparable<DnsName>
{
    /// <summary>The longest label, in octets (RFC 1035 §2.3.4).</summary>
    public const int MaxLabelOctets = 63;

    /// <summary>The longest name on the wire, in octets, with the length octets and the root label (RFC 1035 §2.3.4).</summary>
    public const int MaxWireOctets = 255;

    // Null is the root, so that default(DnsName) is the root and equal to Parse(".").
    private readonly string? _value;

    private DnsName(string normal) => _value = normal == "." ? null : normal;

    /// <summary>The root name, <c>.</c>.</summary>
    public static DnsName Root => default;

    /// <summary>The normal form (see the type's summary).</summary>
    public string Value => _value ?? ".";

    public bool IsRoot => _value is null;

    /// <summary>The fully-qualified form sent on the wire (so no search suffix is ever appended): the value and a dot.</summary>
    public string Fqdn => _value is null ? "." : _value + ".";

    /// <summary>The name, checked: throws <see cref="FormatException"/> saying which rule it breaks and where.</summary>
    public static DnsName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var name, out var error, out var detail)
            ? name
            : throw new FormatException($"'{text}' is not a DNS name: {Describe(error)}{detail}");
    }

    /// <summary>The name, or false when the text is not one.</summary>
    public static bool TryParse(string? text, out DnsName name) => TryParse(text, out name, out _, out _);

    /// <summary>The name, or false and which rule the text breaks.</summary>
    public static bool TryParse(string? text, out DnsName name, out DnsNameError error) => TryParse(text, out name, out error, out _);

    /// <summary>
    /// A name whose limits are known to hold, normalised without checking them: one the DNS client decoded from a
    /// response (an MX exchange, a CNAME target; the wire format bounds its labels and length), one the list
    /// normaliser accepted, one read back from a stored record. In any case, with or without the trailing dot; never fails.
    /// </summary>
    public static DnsName Unchecked(string presentation) => new(Normalize(presentation));

    /// <summary>
    /// The normal form of a name as text, without checking its limits: what <see cref="Unchecked"/> holds. Empty
    /// and white space give the root.
    /// </summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = TrimTrailingDots(name.Trim());
        return trimmed.Length == 0 ? "." : Canonical(trimmed);
    }

    /// <summary>Whether two names in any presentation form (case, trailing dot, letter escapes) are the same name (RFC 4343).</summary>
    public static bool SameName(string? a, string? b) =>
        a is not null && b is not null && string.Equals(Normalize(a), Normalize(b), StringComparison.Ordinal);

    /// <summary>The sentence <see cref="Parse"/> gives for an error.</summary>
    public static string Describe(DnsNameError error) => error switch
    {
        DnsNameError.None => "it is a name",
        DnsNameError.Empty => "it is empty",
        DnsNameError.EmptyLabel => "it has an empty label (two dots in a row, a leading dot, or more than one trailing dot)",
        DnsNameError.LabelTooLong => $"a label is longer than {MaxLabelOctets} octets",
        DnsNameError.NameTooLong => $"it is longer than {MaxWireOctets} octets on the wire (253 characters without escapes)",
        DnsNameError.MalformedEscape => @"a backslash is not followed by a character or by three digits of at most 255 (\DDD)",
        DnsNameError.NonAscii => "it holds a character outside ASCII (give a U-label as its A-label, xn--..., and a raw octet as \\DDD)",
        _ => error.ToString(),
    };

    public int CompareTo(DnsName other) => string.CompareOrdinal(Value, other.Value);

    public static bool operator <(DnsName left, DnsName right) => left.CompareTo(right) < 0;

    public static bool operator <=(DnsName left, DnsName right) => left.CompareTo(right) <= 0;

    public static bool operator >(DnsName left, DnsName right) => left.CompareTo(right) > 0;

    public static bool operator >=(DnsName left, DnsName right) => left.CompareTo(right) >= 0;

    public override string ToString() => Value;

    /// <summary>
    /// Whether a name in presentation form holds anything beyond letters, digits, hyphens, underscores, dots and
    /// <c>*</c>: then it carries RFC 1035 §5.1 escapes or raw non-LDH characters, and must be sent as its wire
    /// octets rather than as text.
    /// </summary>
    public static bool NeedsWireForm(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '*'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The labels of a name in presentation form as octet strings, escapes decoded (RFC 1035 §5.1: <c>\DDD</c> is the
    /// octet of decimal value DDD, <c>\X</c> the character X), checking the escapes and the limits; the root has none.
    /// Characters above 127 are kept as they are (the caller decides what they mean). A trailing dot is allowed.
    /// </summary>
    public static bool TryDecodeLabels(string name, out List<string> labels, out DnsNameError error, out string? where)
    {
        ArgumentNullException.ThrowIfNull(name);
        labels = [];
        where = null;
        var text = name.Trim();
        if (text.Length == 0)
        {
            error = DnsNameError.Empty;
            return false;
        }

        if (text == ".")
        {
            error = DnsNameError.None;
            return true;
        }

        var label = new StringBuilder();
        var wire = 1; // the root label's length octet
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                if (label.Length == 0)
                {
                    error = DnsNameError.EmptyLabel;
                    where = $" (at character {i + 1})";
                    return false;
                }

                wire += label.Length + 1;
                labels.Add(label.ToString());
                label.Clear();
                continue;
            }

            if (c == '\\')
            {
                if (i + 3 < text.Length && char.IsAsciiDigit(text[i + 1]) && char.IsAsciiDigit(text[i + 2]) && char.IsAsciiDigit(text[i + 3]))
                {
                    var value = ((text[i + 1] - '0') * 100) + ((text[i + 2] - '0') * 10) + (text[i + 3] - '0');
                    if (value > 255)
                    {
                        error = DnsNameError.MalformedEscape;
                        where = $" (\\{text.Substring(i + 1, 3)} at character {i + 1})";
                        return false;
                    }

                    c = (char)value;
                    i += 3;
                }
                else if (i + 1 < text.Length && !char.IsAsciiDigit(text[i + 1]))
                {
                    c = text[++i];
                }
                else
                {
                    error = DnsNameError.MalformedEscape;
                    where = $" (at character {i + 1})";
                    return false;
                }
            }

            label.Append(c);
            if (label.Length > MaxLabelOctets)
            {
                error = DnsNameError.LabelTooLong;
                where = $" (label {labels.Count + 1})";
                return false;
            }
        }

        if (label.Length > 0)
        {
            wire += label.Length + 1;
            labels.Add(label.ToString());
        }

        if (wire > MaxWireOctets)
        {
            error = DnsNameError.NameTooLong;
            where = string.Create(CultureInfo.InvariantCulture, $" ({wire} octets)");
            return false;
        }

        error = DnsNameError.None;
        return true;
    }

    private static bool TryParse(string? text, out DnsName name, out DnsNameError error, out string? detail)
    {
        name = default;
        detail = null;
        if (text is null || text.AsSpan().Trim().IsEmpty)
        {
            error = DnsNameError.Empty;
            return false;
        }

        var trimmed = text.Trim();
        for (var i = 0; i < trimmed.Length; i++)
        {
            if (trimmed[i] > '\u007f')
            {
                error = DnsNameError.NonAscii;
                detail = $" ('{trimmed[i]}' at character {i + 1})";
                return false;
            }
        }

        if (!TryDecodeLabels(trimmed, out _, out error, out detail))
        {
            return false;
        }

        name = new DnsName(trimmed == "." ? "." : Canonical(TrimTrailingDots(trimmed)));
        return true;
    }

    /// <summary>Removes trailing dots that are not escaped (<c>a\.</c> keeps its dot: it ends a label, not the name).</summary>
    private static string TrimTrailingDots(string text)
    {
        var end = text.Length;
        while (end > 0 && text[end - 1] == '.' && !Escaped(text, end - 1))
        {
            end--;
        }

        return text[..end];
    }

    /// <summary>Whether the character at <paramref name="index"/> is escaped: preceded by an odd number of backslashes.</summary>
    private static bool Escaped(string text, int index)
    {
        var backslashes = 0;
        for (var i = index - 1; i >= 0 && text[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    /// <summary>Lower-case ASCII; escaped letters, digits and hyphens written plainly; raw controls, space and DEL as \DDD.</summary>
    private static string Canonical(string text)
    {
        var plain = true;
        foreach (var c in text)
        {
            if (c is '\\' or <= ' ' or '\u007f' || char.IsAsciiLetterUpper(c))
            {
                plain = false;
                break;
            }
        }

        if (plain)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            // \DDD or \X (X not a digit); a malformed escape (\9) is kept as written, for Parse to refuse.
            var ddd = c == '\\' && i + 3 < text.Length && char.IsAsciiDigit(text[i + 1]) && char.IsAsciiDigit(text[i + 2]) && char.IsAsciiDigit(text[i + 3]);
            if (ddd || (c == '\\' && i + 1 < text.Length && !char.IsAsciiDigit(text[i + 1])))
            {
                var (decoded, length) = ddd
                    ? (((text[i + 1] - '0') * 100) + ((text[i + 2] - '0') * 10) + (text[i + 3] - '0'), 4)
                    : (text[i + 1], 2);
                if (decoded < 128 && (char.IsAsciiLetterOrDigit((char)decoded) || decoded == '-'))
                {
                    sb.Append(char.ToLowerInvariant((char)decoded));
                }
                else
                {
                    sb.Append(text, i, length);
                }

                i += length - 1;
            }
            else if (c <= ' ' || c == '\u007f')
            {
                sb.Append('\\').Append(((int)c).ToString("D3", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(char.IsAsciiLetterUpper(c) ? (char)(c + ('a' - 'A')) : c);
            }
        }

        return sb.ToString();
    }
}

/// <summary>A <see cref="DnsName"/> in JSON: its normal form as a plain string, read back with <see cref="DnsName.Unchecked"/> (stored names are normal already).</summary>
public sealed class DnsNameJsonConverter : JsonConverter<DnsName>
{
    public override DnsName Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? DnsName.Unchecked(reader.GetString()!)
            : throw new JsonException("A DNS name must be a string.");

    public override void Write(Utf8JsonWriter writer, DnsName value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.Value);
    }
}
