using System.Globalization;
using System.Text;

namespace DaneScan.Core;

/// <summary>
/// Renders text that came from the network (certificate subjects, issuers and subjectAltNames, SMTP banners and
/// EHLO lines, DNS names, resolver error texts) safely for people: every character that a terminal would act on
/// or that could hide or reorder what is shown is written as a visible escape, so a hostile server can neither
/// send terminal commands (ESC sequences, OSC titles ending in BEL, cursor moves, screen clears) nor make one
/// field look like another (bidi overrides, isolates, invisible characters). The one sanitiser of every human
/// and CSV writer (docs/output.md); JSON and Parquet keep the raw values exactly.
/// </summary>
/// <remarks>
/// Escaped: C0 controls U+0000-U+001F (tab, CR and LF included: a field never spans lines) as <c>\xHH</c>; DEL
/// U+007F as <c>\x7f</c>; C1 controls U+0080-U+009F (8-bit CSI and OSC among them), the bidi marks, embeddings,
/// overrides and isolates (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), the zero-width and invisible
/// formatting characters (U+200B-U+200D, U+2060-U+2064, U+FEFF), the line and paragraph separators
/// (U+2028, U+2029) and lone surrogates as <c>\uHHHH</c>. The backslash itself is written <c>\\</c>, so every
/// escape is unambiguous: a certificate whose name holds the four characters <c>\x1b</c> shows as
/// <c>\\x1b</c>. Everything else, printable Unicode included, is kept.
/// </remarks>
public static class SafeText
{
    /// <summary>The text with every control, bidi and invisible character escaped visibly; null stays null.</summary>
    public static string? ForTerminal(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var first = FirstUnsafe(text);
        if (first < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 16);
        sb.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }

            if (c == '\\')
            {
                sb.Append(@"\\");
            }
            else if (c < 0x20 || c == 0x7F)
            {
                sb.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (NeedsUnicodeEscape(c))
            {
                sb.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// One CSV text field (RFC 4180): the text escaped as for <see cref="ForTerminal"/>, so the field holds no control
    /// byte (no CR or LF either); prefixed with a single quote when the text begins with a character a spreadsheet
    /// would start a formula with (<c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, TAB, CR: OWASP, "CSV Injection") or with a
    /// single quote itself, so that a reader removes exactly one leading quote to get the text back; and quoted when
    /// it holds a comma or a double quote (quotes doubled); null is the empty field. For text columns only: numbers,
    /// booleans and times are written as they are (a negative number is not a formula).
    /// </summary>
    public static string ForCsv(string? text)
    {
        var safe = ForTerminal(text) ?? string.Empty;
        if (text is { Length: > 0 } && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or FormulaGuard)
        {
            safe = FormulaGuard + safe;
        }

        return safe.AsSpan().IndexOfAny(',', '"') >= 0
            ? "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : safe;
    }

    /// <summary>The prefix <see cref="ForCsv"/> puts before a text that a spreadsheet would read as a formula.</summary>
    public const char FormulaGuard = '\'';

    /// <summary>Whether <see cref="ForTerminal"/> would change the text.</summary>
    public static bool IsSafe(string? text) => text is null || FirstUnsafe(text) < 0;

    private static int FirstUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (c == '\\' || c < 0x20 || c == 0x7F || NeedsUnicodeEscape(c))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool NeedsUnicodeEscape(char c) =>
        c is (>= '\u0080' and <= '\u009F')
            or '\u061C' or '\u200E' or '\u200F'
            or (>= '\u202A' and <= '\u202E')
            or (>= '\u2066' and <= '\u2069')
            or (>= '\u200B' and <= '\u200D')
            or (>= '\u2060' and <= '\u2064')
            or '\uFEFF' or '\u2028' or '\u2029'
            || char.IsSurrogate(c);
}
