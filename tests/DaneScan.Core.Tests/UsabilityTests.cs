using DaneScan.Core;
using static DaneScan.Core.Tests.TestPki;

namespace DaneScan.Core.Tests;

/// <summary>docs/dane-rules.md §4 (usable records) and §6 digest agility as a pure function over records.</summary>
public class UsabilityTests
{
    [Theory]
    [InlineData(3, 1, 1, 32, TlsaUsability.Usable)]
    [InlineData(3, 0, 1, 32, TlsaUsability.Usable)]
    [InlineData(3, 1, 2, 64, TlsaUsability.Usable)]
    [InlineData(3, 0, 0, 300, TlsaUsability.Usable)]
    [InlineData(3, 1, 0, 91, TlsaUsability.Usable)]
    [InlineData(2, 0, 1, 32, TlsaUsability.Usable)]
    [InlineData(2, 1, 2, 64, TlsaUsability.Usable)]
    [InlineData(2, 0, 0, 500, TlsaUsability.Usable)]
    [InlineData(0, 0, 1, 32, TlsaUsability.PkixUsage)]
    [InlineData(1, 1, 1, 32, TlsaUsability.PkixUsage)]
    [InlineData(4, 1, 1, 32, TlsaUsability.UnknownUsage)]
    [InlineData(255, 1, 1, 32, TlsaUsability.UnknownUsage)]
    [InlineData(3, 2, 1, 32, TlsaUsability.UnknownSelector)]
    [InlineData(2, 255, 1, 32, TlsaUsability.UnknownSelector)]
    [InlineData(3, 1, 3, 32, TlsaUsability.UnknownMatchingType)]
    [InlineData(3, 1, 255, 32, TlsaUsability.UnknownMatchingType)]
    [InlineData(3, 1, 1, 31, TlsaUsability.WrongDigestLength)]
    [InlineData(3, 1, 1, 33, TlsaUsability.WrongDigestLength)]
    [InlineData(3, 1, 1, 64, TlsaUsability.WrongDigestLength)]
    [InlineData(3, 1, 2, 32, TlsaUsability.WrongDigestLength)]
    [InlineData(2, 0, 2, 63, TlsaUsability.WrongDigestLength)]
    [InlineData(3, 1, 1, 0, TlsaUsability.WrongDigestLength)]
    [InlineData(3, 1, 0, 0, TlsaUsability.EmptyData)]
    public void Usability(byte usage, byte selector, byte matching, int length, TlsaUsability expected)
    {
        Assert.Equal(expected, TlsaRules.Usability(Raw(usage, selector, matching, length)));
        Assert.Equal(expected == TlsaUsability.Usable, TlsaRules.IsUsable(Raw(usage, selector, matching, length)));
    }

    private static TlsaRecord R(byte usage, byte selector, byte matching, byte fill)
    {
        var length = matching switch { 1 => 32, 2 => 64, _ => 40 };
        return new((TlsaUsage)usage, (TlsaSelector)selector, (TlsaMatchingType)matching, Enumerable.Repeat(fill, length).ToArray());
    }

    public static TheoryData<string, string> AgilityCases() => new()
    {
        // records (usage selector matching, space-separated), effective ones
        { "311 312", "312" },
        { "312 311", "312" },
        { "310 311 312", "310 312" },
        { "311 311b", "311 311b" },
        { "311 302", "311 302" },
        { "311 212", "311 212" },
        { "211 212 201", "212 201" },
        { "310 311", "310 311" },
        { "111 312 311", "312" },
    };

    [Theory]
    [MemberData(nameof(AgilityCases))]
    public void Digest_agility_keeps_full_records_and_the_strongest_digest_per_usage_and_selector(string records, string effective)
    {
        static TlsaRecord Parse(string s) => R((byte)(s[0] - '0'), (byte)(s[1] - '0'), (byte)(s[2] - '0'), s.Length > 3 ? (byte)0xbb : (byte)0xaa);
        var list = records.Split(' ').Select(Parse).ToList();

        var kept = TlsaRules.EffectiveRecords(list);

        Assert.Equal(effective.Split(' ').Select(Parse).ToList(), kept);
    }

    [Fact]
    public void Assess_keeps_order_and_names_each_unusable_record()
    {
        var records = new[] { Raw(1, 1, 1, 32), Raw(3, 1, 1, 32), Raw(3, 1, 2, 20) };

        var assessed = TlsaRules.Assess(records);

        Assert.Equal([TlsaUsability.PkixUsage, TlsaUsability.Usable, TlsaUsability.WrongDigestLength], assessed.Select(a => a.Usability));
        Assert.Equal([false, true, false], assessed.Select(a => a.Effective));
        Assert.Equal(records, assessed.Select(a => a.Record));
    }
}
