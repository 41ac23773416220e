using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DaneScan.Contracts;

/// <summary>
/// The one stable 64-bit hash of a name: the first 8 bytes (little-endian) of SHA-256 of its UTF-8 form,
/// never 0. Stable across processes, machines and versions, so it may key stored data (table partitions,
/// index slots) and de-duplicate lists; SHA-256 keeps it uniform whatever the names look like.
/// </summary>
public static class StableHash
{
    /// <summary>The hash of <paramref name="text"/> (never 0, which callers may use as an empty marker).</summary>
    public static ulong Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> utf8 = max <= 768 ? stackalloc byte[max] : new byte[max];
        var n = Encoding.UTF8.GetBytes(text, utf8);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(utf8[..n], digest);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(digest);
        return value == 0 ? 1 : value;
    }
}
