namespace DaneScan.Core.Tests;

/// <summary>
/// Output hygiene: text from the network is shown with every character a terminal acts on, and every bidi or
/// invisible character, escaped visibly (docs/output.md). Expected strings are written out by hand.
/// </summary>
public class SafeTextTests
{
    [Theory]
    [InlineData("mx.example.net", "mx.example.net")]
    [InlineData("CN=a\u001b[2Jb", @"CN=a\x1b[2Jb")]
    [InlineData("\u001b]0;owned\u0007", @"\x1b]0;owned\x07")]
    [InlineData("line\r\nInjected: yes", @"line\x0d\x0aInjected: yes")]
    [InlineData("tab\there", @"tab\x09here")]
    [InlineData("nul\0del\u007f", @"nul\x00del\x7f")]
    [InlineData("c1 \u009b31m \u0085", @"c1 \u009b31m \u0085")]
    [InlineData("\u202egnp.exe", @"\u202egnp.exe")]
    [InlineData("a\u2066b\u2069c\u200ed\u200ff\u061c", @"a\u2066b\u2069c\u200ed\u200ff\u061c")]
    [InlineData("zero\u200bwidth\ufeff", @"zero\u200bwidth\ufeff")]
    [InlineData(@"mx\027.example", @"mx\\027.example")]
    [InlineData("bücher.example 日本 😀", "bücher.example 日本 😀")]
    public void Terminal_text_escapes_controls_bidi_and_invisibles_visibly(string raw, string shown)
    {
        Assert.Equal(shown, SafeText.ForTerminal(raw));
    }

    [Fact]
    public void A_lone_surrogate_is_escaped_and_a_pair_kept()
    {
        var lone = "lone " + (char)0xD800 + " surrogate";
        Assert.Equal(@"lone \ud800 surrogate", SafeText.ForTerminal(lone));
        var pair = "pair " + char.ConvertFromUtf32(0x1F600) + " kept";
        Assert.Equal(pair, SafeText.ForTerminal(pair));
    }

    [Fact]
    public void Null_stays_null_and_safe_text_is_returned_as_is()
    {
        Assert.Null(SafeText.ForTerminal(null));
        const string plain = "220 mx.example.net ESMTP ready";
        Assert.Same(plain, SafeText.ForTerminal(plain));
        Assert.True(SafeText.IsSafe(plain));
        Assert.False(SafeText.IsSafe("a\u001bb"));
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", @"two\x0d\x0alines")]
    [InlineData("O=Lab, CN=x\u001b[2J\u202e", "\"O=Lab, CN=x\\x1b[2J\\u202e\"")]
    public void Csv_fields_hold_no_control_byte_and_are_quoted_when_needed(string? raw, string field)
    {
        Assert.Equal(field, SafeText.ForCsv(raw));
        Assert.DoesNotContain(SafeText.ForCsv(raw), c => c < 0x20 || c == 0x7F);
    }

    /// <summary>OWASP "CSV Injection": a text starting with = + - @ TAB or CR gets a leading single quote; so does one starting with a quote.</summary>
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example/\",\"open\")", "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"open\"\")\"")]
    [InlineData("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("\t=1", @"'\x09=1")]
    [InlineData("\r=1", @"'\x0d=1")]
    [InlineData("'=1", "''=1")]
    [InlineData("a=1", "a=1")]
    [InlineData(" =1", " =1")]
    [InlineData("CN=mx.example, O=x", "\"CN=mx.example, O=x\"")]
    [InlineData("", "")]
    public void Csv_text_a_spreadsheet_would_run_as_a_formula_starts_with_a_single_quote(string raw, string field)
    {
        Assert.Equal(field, SafeText.ForCsv(raw));
    }
}
