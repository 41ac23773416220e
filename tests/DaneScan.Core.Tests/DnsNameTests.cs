using System.Text.Json;

namespace DaneScan.Core.Tests;

/// <summary>
/// <see cref="DnsName"/>: one normal form for every name that enters, by the RFCs' rules. Expected values are
/// written from the RFCs: RFC 1035 §2.3.3 and RFC 4343 §3 (ASCII case-insensitivity), RFC 4343 §2.1 and RFC 1035
/// §5.1 (escapes: \DDD is the octet of that decimal value, \X the character X), RFC 1035 §3.1 (absolute names end
/// in the root label), RFC 1035 §2.3.4 (63 octets a label, 255 octets a name on the wire).
/// </summary>
public sealed class DnsNameTests
{
    private static readonly string Label63 = new('a', 63);

    /// <summary>A name of exactly <paramref name="length"/> characters: labels of 63 and a shorter last one, dots between.</summary>
    private static string NameOfLength(int length)
    {
        var labels = new List<string>();
        var left = length;
        while (left > 0)
        {
            var take = Math.Min(63, left);
            labels.Add(new string('b', take));
            left -= take + 1; // the dot before the next label
        }

        var name = string.Join('.', labels);
        Assert.Equal(length, name.Length);
        return name;
    }

    public static TheoryData<string, string> NormalForms => new()
    {
        // RFC 1035 §2.3.3, RFC 4343 §3: ASCII letters compare case-insensitively; the normal form is lower case.
        { "Example.COM", "example.com" },
        { "MX.Example.Net", "mx.example.net" },
        { "_25._TCP.mx.example", "_25._tcp.mx.example" },
        { "XN--BCHER-KVA.example", "xn--bcher-kva.example" },
        // RFC 1035 §3.1: a name with or without its trailing root dot is the same absolute name.
        { "example.com.", "example.com" },
        { "  mx.example.net.\t", "mx.example.net" },
        { ".", "." },
        // RFC 4343 §2.1: an escaped letter is that letter, and compares case-insensitively like it.
        { @"\065.example", "a.example" },
        { @"\A.example", "a.example" },
        { @"\045x.example", "-x.example" },
        // Octets that are not letters, digits or hyphens stay escaped (as DNS answers render them); case folds around them.
        { @"MX\027.Example", @"mx\027.example" },
        { @"CAF\233.example", @"caf\233.example" },
        { @"a\.b.example", @"a\.b.example" },
        { @"a\046b.example", @"a\046b.example" },
        { @"back\\slash.example", @"back\\slash.example" },
        // A dot that is escaped ends a label's content, not the name: it is kept.
        { @"a\.", @"a\." },
    };

    [Theory]
    [MemberData(nameof(NormalForms))]
    public void A_name_is_normalised_once_by_the_rfc_rules(string text, string normal)
    {
        Assert.Equal(normal, DnsName.Parse(text).Value);
        Assert.True(DnsName.TryParse(text, out var name, out var error));
        Assert.Equal(DnsNameError.None, error);
        Assert.Equal(normal, name.ToString());
        // Normalising the normal form changes nothing, and the unchecked path gives the same form.
        Assert.Equal(normal, DnsName.Parse(normal).Value);
        Assert.Equal(normal, DnsName.Unchecked(text).Value);
    }

    [Theory]
    [InlineData("MX.Example.Net.", "mx.example.net")]
    [InlineData(@"\065.example", "A.EXAMPLE")]
    [InlineData(".", ".")]
    public void Spellings_of_one_name_are_equal(string a, string b)
    {
        Assert.Equal(DnsName.Parse(a), DnsName.Parse(b));
        Assert.Equal(DnsName.Parse(a).GetHashCode(), DnsName.Parse(b).GetHashCode());
        Assert.Equal(0, DnsName.Parse(a).CompareTo(DnsName.Parse(b)));
    }

    [Fact]
    public void The_root_is_the_default_and_has_its_fully_qualified_form()
    {
        Assert.Equal(DnsName.Root, DnsName.Parse("."));
        Assert.Equal(default(DnsName), DnsName.Parse("."));
        Assert.True(DnsName.Parse(".").IsRoot);
        Assert.Equal(".", DnsName.Root.Fqdn);
        Assert.Equal("mx.example.", DnsName.Parse("MX.example").Fqdn);
        Assert.False(DnsName.Parse("example").IsRoot);
        Assert.True(DnsName.Parse("a.example") < DnsName.Parse("b.example"));
    }

    public static TheoryData<string, DnsNameError> Refused => new()
    {
        { "", DnsNameError.Empty },
        { "  \t", DnsNameError.Empty },
        // RFC 1035 §3.1: only the root label is empty.
        { "a..example", DnsNameError.EmptyLabel },
        { ".example", DnsNameError.EmptyLabel },
        { "example..", DnsNameError.EmptyLabel },
        // RFC 1035 §2.3.4: labels of 63 octets or less; an escape is the one octet it stands for.
        { Label63 + "a.example", DnsNameError.LabelTooLong },
        { Label63 + @"\065.example", DnsNameError.LabelTooLong },
        // RFC 1035 §5.1: \DDD is three digits of an octet's value; a backslash must escape something.
        { @"bad\9.example", DnsNameError.MalformedEscape },
        { @"a\256.example", DnsNameError.MalformedEscape },
        { @"trailing\", DnsNameError.MalformedEscape },
        // Text outside ASCII is not presentation form: a U-label is given as its A-label (RFC 5890).
        { "bücher.example", DnsNameError.NonAscii },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_text_that_is_not_a_name_is_refused_with_the_rule_it_breaks(string text, DnsNameError expected)
    {
        Assert.False(DnsName.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
        var refusal = Assert.Throws<FormatException>(() => DnsName.Parse(text));
        Assert.StartsWith($"'{text}' is not a DNS name: {DnsName.Describe(expected)}", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_unchecked_form_keeps_a_malformed_escape_as_written_for_the_checks_to_refuse()
    {
        // \9 is neither \DDD nor \X (RFC 1035 §5.1): not read as the digit 9, so it cannot pass for bad9.example.
        Assert.Equal(@"bad\9.example", DnsName.Normalize(@"BAD\9.Example."));
        Assert.NotEqual(DnsName.Parse("bad9.example"), DnsName.Unchecked(@"bad\9.example"));
    }

    [Fact]
    public void The_limits_are_63_octets_a_label_and_255_on_the_wire()
    {
        // 63 is allowed; with an escape counted as one octet, 62 characters and \065 is a 63-octet label.
        Assert.Equal(Label63 + ".example", DnsName.Parse(Label63 + ".example").Value);
        Assert.Equal(new string('a', 62) + "a.example", DnsName.Parse(new string('a', 62) + @"\065.example").Value);

        // 253 characters without the trailing dot are 255 octets on the wire (a length octet per label and the root's).
        var longest = NameOfLength(253);
        Assert.Equal(longest, DnsName.Parse(longest).Value);
        Assert.Equal(longest, DnsName.Parse(longest + ".").Value);
        Assert.False(DnsName.TryParse(NameOfLength(254), out _, out var error));
        Assert.Equal(DnsNameError.NameTooLong, error);
        Assert.Contains("(256 octets)", Assert.Throws<FormatException>(() => DnsName.Parse(NameOfLength(254))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_json_a_name_is_a_plain_string()
    {
        var mx = new MxRecord(10, DnsName.Parse("MX.Example.Net."));
        var json = JsonSerializer.Serialize(mx, DaneJson.Options);
        Assert.Equal("""{"preference":10,"exchange":"mx.example.net"}""", json);
        Assert.Equal(mx, JsonSerializer.Deserialize<MxRecord>(json, DaneJson.Options));

        // A null MX as stored before the type existed reads back as the root.
        var nullMx = JsonSerializer.Deserialize<MxRecord>("""{"preference":0,"exchange":"."}""", DaneJson.Options)!;
        Assert.True(nullMx.IsNullMx);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MxRecord>("""{"preference":0,"exchange":7}""", DaneJson.Options));
    }

    [Theory]
    [InlineData("MX.Example.ORG.", "mx.example.org", true)] // RFC 4343 §3: ASCII case is not significant
    [InlineData(@"mx\065.example", "mxa.example", true)] // RFC 4343 §2.1: an escaped letter is that letter
    [InlineData("_25._tcp.MX.example.", "_25._tcp.mx.example", true)]
    [InlineData("mx.example", "mx.example.net", false)]
    [InlineData(@"mx\046x.example", "mx.x.example", false)] // RFC 4343 §2.1: an escaped dot is a label character
    [InlineData(null, "mx.example", false)]
    public void Two_presentations_name_the_same_host_by_the_rfc_rules(string? a, string b, bool same)
    {
        Assert.Equal(same, DnsName.SameName(a, b));
        Assert.Equal(same, DnsName.SameName(b, a));
    }
}
