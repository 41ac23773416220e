namespace DaneScan.Statistics.Tests;

/// <summary>
/// The list's own test vectors (publicsuffix.org, tests/test_psl.txt: checkPublicSuffix(name, registrable)),
/// run against Debian's copy of the list, which the statistics load.
/// </summary>
public sealed class PublicSuffixListTests
{
    private static readonly PublicSuffixList List = PublicSuffixList.Default;

    [Theory]
    [InlineData("com", null)]
    [InlineData("example.com", "example.com")]
    [InlineData("b.example.com", "example.com")]
    [InlineData("a.b.example.com", "example.com")]
    [InlineData("biz", null)]
    [InlineData("domain.biz", "domain.biz")]
    [InlineData("uk.com", null)]
    [InlineData("example.uk.com", "example.uk.com")]
    [InlineData("b.example.uk.com", "example.uk.com")]
    [InlineData("test.ac", "test.ac")]
    [InlineData("mm", null)]
    [InlineData("c.mm", null)]
    [InlineData("b.c.mm", "b.c.mm")]
    [InlineData("jp", null)]
    [InlineData("test.jp", "test.jp")]
    [InlineData("www.test.jp", "test.jp")]
    [InlineData("ac.jp", null)]
    [InlineData("test.ac.jp", "test.ac.jp")]
    [InlineData("kyoto.jp", null)]
    [InlineData("test.kyoto.jp", "test.kyoto.jp")]
    [InlineData("ide.kyoto.jp", null)]
    [InlineData("b.ide.kyoto.jp", "b.ide.kyoto.jp")]
    [InlineData("a.b.ide.kyoto.jp", "b.ide.kyoto.jp")]
    [InlineData("c.kobe.jp", null)]
    [InlineData("b.c.kobe.jp", "b.c.kobe.jp")]
    [InlineData("a.b.c.kobe.jp", "b.c.kobe.jp")]
    [InlineData("city.kobe.jp", "city.kobe.jp")]
    [InlineData("www.city.kobe.jp", "city.kobe.jp")]
    [InlineData("ck", null)]
    [InlineData("test.ck", null)]
    [InlineData("b.test.ck", "b.test.ck")]
    [InlineData("a.b.test.ck", "b.test.ck")]
    [InlineData("www.ck", "www.ck")]
    [InlineData("www.www.ck", "www.ck")]
    [InlineData("us", null)]
    [InlineData("test.us", "test.us")]
    [InlineData("www.test.us", "test.us")]
    [InlineData("ak.us", null)]
    [InlineData("test.ak.us", "test.ak.us")]
    [InlineData("www.test.ak.us", "test.ak.us")]
    [InlineData("k12.ak.us", null)]
    [InlineData("test.k12.ak.us", "test.k12.ak.us")]
    [InlineData("www.test.k12.ak.us", "test.k12.ak.us")]
    [InlineData("xn--85x722f.com.cn", "xn--85x722f.com.cn")]
    [InlineData("xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn")]
    [InlineData("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn")]
    [InlineData("shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn")]
    [InlineData("xn--55qx5d.cn", null)]
    [InlineData("WWW.Example.COM.", "example.com")]
    public void Registrable_domains_follow_the_lists_test_vectors(string name, string? registrable) =>
        Assert.Equal(registrable, List.RegistrableDomain(name));

    [Fact]
    public void An_unlisted_TLD_is_its_own_suffix()
    {
        Assert.Equal("example", List.PublicSuffix("mx.shared.example"));
        Assert.Equal("shared.example", List.RegistrableDomain("mx.shared.example"));
    }

    [Fact]
    public void The_ICANN_only_reading_ignores_the_private_section()
    {
        Assert.Equal("github.io", List.PublicSuffix("someone.github.io"));
        Assert.Equal("someone.github.io", List.RegistrableDomain("someone.github.io"));
        Assert.Equal("io", List.PublicSuffix("someone.github.io", icannOnly: true));
        Assert.Equal("github.io", List.RegistrableDomain("someone.github.io", icannOnly: true));
    }

    [Fact]
    public void The_list_comes_from_the_installed_package_with_thousands_of_rules()
    {
        Assert.Equal(PublicSuffixList.DebianPath, PublicSuffixList.DefaultPath());
        Assert.True(List.RuleCount > 5000, $"{List.RuleCount} rules");
    }

    [Fact]
    public void A_missing_list_says_how_to_install_it()
    {
        var e = Assert.Throws<PublicSuffixListException>(() => PublicSuffixList.Load("/nonexistent/public_suffix_list.dat"));
        Assert.Contains("apt-get install publicsuffix", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_parsed_from_text_applies_wildcards_and_exceptions()
    {
        using var text = new StringReader("// ===BEGIN ICANN DOMAINS===\nexample\n*.wild.example\n!keep.wild.example\n// ===END ICANN DOMAINS===\n");
        var list = PublicSuffixList.Parse(text);
        Assert.Equal("x.wild.example", list.PublicSuffix("a.x.wild.example"));
        Assert.Equal("keep.wild.example", list.RegistrableDomain("a.keep.wild.example"));
        Assert.Equal("wild.example", list.PublicSuffix("keep.wild.example"));
    }
}
