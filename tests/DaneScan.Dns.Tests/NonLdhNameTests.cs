namespace DaneScan.Dns.Tests;

/// <summary>
/// Names with non-LDH bytes (RFC 1035 §5.1 presentation escapes): one observation form, and the exact wire bytes
/// for the question, never the escape text.
/// </summary>
public class NonLdhNameTests
{
    [Theory]
    [InlineData(@"mx\027.example.net.", "mx\u001b.example.net.")]
    [InlineData(@"m\000x.example.net", "m\0x.example.net.")]
    [InlineData(@"a\032b.example", "a b.example.")]
    [InlineData(@"back\\slash.example", "back\\slash.example.")]
    [InlineData(@"_25._tcp.mx\127.example", "_25._tcp.mx\u007f.example.")]
    public void Escapes_become_the_label_bytes(string presentation, string wire)
    {
        Assert.True(DnsNames.NeedsWireForm(DnsNames.Normalize(presentation)));
        Assert.True(DnsNames.TryWireForm(presentation, out var actual, out var problem), problem);
        Assert.Equal(wire, actual);
    }

    [Theory]
    [InlineData(@"a\046b.example", "a dot inside a label")]
    [InlineData(@"caf\233.example", "the byte 233 (above 127)")]
    [InlineData(@"bad\9.example", "malformed escape")]
    public void A_name_the_client_cannot_ask_for_exactly_says_why(string presentation, string problem)
    {
        Assert.False(DnsNames.TryWireForm(presentation, out _, out var actual));
        Assert.Equal(problem, actual);
    }

    [Fact]
    public void Raw_and_escaped_renderings_of_one_name_are_one_name()
    {
        // The DNS client renders a non-LDH byte escaped in RDATA and raw in an owner name compressed to the question.
        Assert.Equal(@"mx\027.example.net", DnsNames.Normalize("MX\u001b.example.net."));
        Assert.True(DnsNames.SameName("mx\u001b.example.net.", @"mx\027.example.net"));
        Assert.False(DnsNames.NeedsWireForm("mx1.example-2.net"));
        Assert.False(DnsNames.NeedsWireForm("_25._tcp.mx.example.net"));
    }
}
