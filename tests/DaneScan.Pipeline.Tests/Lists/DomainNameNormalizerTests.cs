using DaneScan.Contracts;
using DaneScan.Pipeline.Lists;

namespace DaneScan.Pipeline.Tests.Lists;

public class DomainNameNormalizerTests
{
    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("  Example.COM.  ", "example.com")]
    [InlineData("mail.example.co.uk", "mail.example.co.uk")]
    [InlineData("bücher.de", "xn--bcher-kva.de")]
    [InlineData("BÜCHER.DE", "xn--bcher-kva.de")]
    [InlineData("ＢＵＣＨＥＲ．ｄｅ", "bucher.de")]
    [InlineData("例え。テスト", "xn--r8jz45g.xn--zckzah")]
    [InlineData("xn--bcher-kva.de", "xn--bcher-kva.de")]
    [InlineData("XN--BCHER-KVA.DE", "xn--bcher-kva.de")]
    [InlineData("faß.de", "xn--fa-hia.de")]
    [InlineData("123.example", "123.example")]
    [InlineData("a-b.example", "a-b.example")]
    public void Accepts_and_normalises(string raw, string expected)
    {
        var result = DomainNameNormalizer.Normalize(raw);
        Assert.Null(result.Reason);
        Assert.Equal(expected, result.Name);
    }

    [Theory]
    [InlineData("com", DomainRejectReason.SingleLabel)]
    [InlineData("localhost.", DomainRejectReason.SingleLabel)]
    [InlineData(".", DomainRejectReason.EmptyLabel)]
    [InlineData("a..example", DomainRejectReason.EmptyLabel)]
    [InlineData(".example.com", DomainRejectReason.EmptyLabel)]
    [InlineData("example.com..", DomainRejectReason.EmptyLabel)]
    [InlineData("under_score.example", DomainRejectReason.InvalidCharacter)]
    [InlineData("sp ace.example", DomainRejectReason.InvalidCharacter)]
    [InlineData("*.example.com", DomainRejectReason.InvalidCharacter)]
    [InlineData("http://example.com", DomainRejectReason.InvalidCharacter)]
    [InlineData("-lead.example", DomainRejectReason.HyphenAtLabelEdge)]
    [InlineData("trail-.example", DomainRejectReason.HyphenAtLabelEdge)]
    [InlineData("ab--cd.example", DomainRejectReason.ReservedHyphens)]
    [InlineData("xn--zz.example", DomainRejectReason.InvalidPunycode)]
    [InlineData("xn--ls8h.example", DomainRejectReason.DisallowedUnicode)]
    [InlineData("a\u200Db.example", DomainRejectReason.DisallowedUnicode)]
    [InlineData("☃.example", DomainRejectReason.DisallowedUnicode)]
    [InlineData("\u0301a.example", DomainRejectReason.DisallowedUnicode)]
    [InlineData("ﬁle.example", DomainRejectReason.DisallowedUnicode)]
    [InlineData("192.0.2.1", DomainRejectReason.NumericTopLevelLabel)]
    public void Rejects_with_the_named_reason(string raw, DomainRejectReason reason)
    {
        var result = DomainNameNormalizer.Normalize(raw);
        Assert.Null(result.Name);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public void Enforces_label_and_name_lengths_on_the_encoded_form()
    {
        var label63 = new string('a', 63);
        Assert.Equal($"{label63}.example", DomainNameNormalizer.Normalize($"{label63}.example").Name);
        Assert.Equal(DomainRejectReason.LabelTooLong, DomainNameNormalizer.Normalize($"{label63}a.example").Reason);

        // 60 non-ASCII letters encode to more than 63 octets: the limit applies after IDNA encoding.
        Assert.Equal(DomainRejectReason.LabelTooLong, DomainNameNormalizer.Normalize(new string('ü', 60) + ".example").Reason);

        var name253 = string.Join('.', Enumerable.Repeat(new string('a', 62), 4)) + ".b"; // 4 * 62 + 3 dots + 2
        Assert.Equal(253, name253.Length);
        Assert.Equal(name253, DomainNameNormalizer.Normalize(name253).Name);
        Assert.Equal(DomainRejectReason.NameTooLong, DomainNameNormalizer.Normalize("a" + name253).Reason);
        Assert.Equal(name253, DomainNameNormalizer.Normalize(name253 + ".").Name);
    }
}
