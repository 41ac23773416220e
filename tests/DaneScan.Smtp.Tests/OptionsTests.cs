using System.Security.Authentication;

namespace DaneScan.Smtp.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("scanner.example.org", "scanner.example.org")]
    [InlineData("  Scanner.Example.ORG. ", "scanner.example.org")]
    [InlineData("a-1.b2.example", "a-1.b2.example")]
    public void A_fully_qualified_host_name_is_accepted_and_normalised(string given, string expected)
    {
        Assert.Equal(expected, new SmtpProbeOptions(given).EhloIdentity);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("localhost", "single label")]
    [InlineData("bad_name.example.org", "character other than")]
    [InlineData("-bad.example.org", "hyphen")]
    [InlineData("a..example.org", "empty label")]
    [InlineData("192.0.2.1", "numeric")]
    [InlineData("scanner.example.org\r\nMAIL FROM:<x>", "character other than")]
    [InlineData("sc\u00e4nner.example.org", "character other than")]
    public void An_invalid_ehlo_identity_is_refused_with_a_clear_reason(string identity, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => new SmtpProbeOptions(identity));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Equal("ehloIdentity", ex.ParamName);
    }

    [Fact]
    public void Over_long_labels_and_names_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new SmtpProbeOptions(new string('a', 64) + ".example.org"));
        Assert.Throws<ArgumentException>(() => new SmtpProbeOptions(string.Join('.', Enumerable.Repeat(new string('a', 60), 5))));
    }

    [Fact]
    public void Deadlines_and_bounds_are_validated()
    {
        const string id = "scanner.example.org";
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(id, connectTimeout: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(id, stepTimeout: TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(id, overallTimeout: TimeSpan.FromHours(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(id, maxLineLength: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(id, maxLinesPerReply: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(id, maxLineLength: 1000, maxReplyBytes: 500));
#pragma warning disable SYSLIB0039, CA5397 // deliberately asking for an obsolete protocol
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpProbeOptions(id, tlsProtocols: SslProtocols.Tls11));
#pragma warning restore SYSLIB0039, CA5397
    }

    [Fact]
    public void Defaults_are_sane()
    {
        var o = new SmtpProbeOptions("scanner.example.org");
        Assert.Equal(TimeSpan.FromSeconds(10), o.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), o.StepTimeout);
        Assert.Equal(TimeSpan.FromSeconds(120), o.OverallTimeout);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, o.TlsProtocols);
    }
}
