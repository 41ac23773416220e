using DaneScan.Core;

namespace DaneScan.Dns.Tests;

/// <summary>The two pieces of wire parsing done here rather than by DnsClient: EDE options and TLSA RDATA.</summary>
public class WireParsingTests
{
    private static byte[] Option(ushort code, params byte[] data) =>
        [(byte)(code >> 8), (byte)code, (byte)(data.Length >> 8), (byte)data.Length, .. data];

    [Fact]
    public void Ede_is_found_among_other_options_with_its_text()
    {
        byte[] cookie = Option(10, 1, 2, 3, 4, 5, 6, 7, 8);
        byte[] ede = Option(15, [0, 7, .. "signature expired"u8.ToArray()]);
        var found = ExtendedDnsError.Parse([.. cookie, .. ede]);
        var single = Assert.Single(found);
        Assert.Equal(7, single.InfoCode);
        Assert.Equal("signature expired", single.ExtraText);
        Assert.True(single.IsDnssecFailure);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)] // stale answer
    [InlineData(4, false)] // forged answer
    [InlineData(6, true)]
    [InlineData(9, true)]
    [InlineData(12, true)]
    [InlineData(13, false)]
    [InlineData(22, false)] // no reachable authority
    [InlineData(23, false)] // network error
    public void Only_validation_codes_count_as_bogus(int code, bool dnssec) =>
        Assert.Equal(dnssec, new ExtendedDnsError(code, "").IsDnssecFailure);

    [Fact]
    public void Truncated_option_stops_the_walk_without_throwing()
    {
        byte[] good = Option(15, 0, 6);
        byte[] broken = [0, 15, 0, 40, 0, 9];
        var found = ExtendedDnsError.Parse([.. good, .. broken]);
        Assert.Equal(6, Assert.Single(found).InfoCode);
    }

    [Fact]
    public void Tlsa_rdata_keeps_unknown_values_and_odd_lengths()
    {
        var record = TlsaRdata.Parse([9, 7, 5, 0xbe, 0xef]);
        Assert.NotNull(record);
        Assert.Equal(9, (byte)record.Usage);
        Assert.Equal(7, (byte)record.Selector);
        Assert.Equal(5, (byte)record.MatchingType);
        Assert.Equal("9 7 5 beef", record.ToString());
    }

    [Fact]
    public void Tlsa_rdata_shorter_than_its_fixed_part_is_rejected() =>
        Assert.Null(TlsaRdata.Parse([3, 1]));

    [Fact]
    public void Tlsa_rdata_dane_ee_spki_sha256()
    {
        byte[] digest = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        var record = TlsaRdata.Parse([3, 1, 1, .. digest]);
        Assert.Equal(new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, digest), record);
    }
}
