using System.Globalization;
using System.IO.Compression;
using System.Text;
using DaneScan.Pipeline.Lists;

namespace DaneScan.Fleet;

/// <summary>What the first bytes of a blob say it is.</summary>
public enum ListContentKind
{
    /// <summary>Text (UTF-8, or UTF-16 with a byte-order mark): plain names or <c>rank,domain</c> CSV.</summary>
    Text,

    /// <summary>gzip-compressed text.</summary>
    Gzip,

    /// <summary>Anything else: the blob is skipped and recorded with the reason.</summary>
    NotAList,
}

/// <summary>
/// Decides from a blob's first bytes whether it is a domain list the reader can stream (text or gzip-compressed
/// text), so that an image, an archive or a spreadsheet dropped into the lists container is recorded as skipped
/// instead of being read as millions of rejected "lines".
/// </summary>
public static class ListContent
{
    /// <summary>How many leading bytes <see cref="Classify"/> looks at.</summary>
    public const int HeadBytes = 8192;

    /// <summary>
    /// Classifies a blob by its head. <paramref name="whole"/> says the head is the whole blob (so a multi-byte
    /// character or a gzip stream cut at its end is an error, not the edge of the sample).
    /// </summary>
    public static (ListContentKind Kind, string? Reason) Classify(ReadOnlySpan<byte> head, bool whole)
    {
        if (head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            byte[] inflated;
            try
            {
                inflated = Inflate(head);
            }
            catch (InvalidDataException e)
            {
                return (ListContentKind.NotAList, $"gzip magic bytes, but not gzip data ({e.Message})");
            }

            if (inflated.Length >= 2 && inflated[0] == 0x1F && inflated[1] == 0x8B)
            {
                return (ListContentKind.NotAList, "gzip inside gzip: compress a list once");
            }

            var (text, reason) = TextCheck(inflated, whole: false);
            return text ? (ListContentKind.Gzip, null) : (ListContentKind.NotAList, "gzip-compressed, but " + reason);
        }

        if (ListMagic.OtherFormat(head) is { } name)
        {
            return (ListContentKind.NotAList, $"{name}-compressed or archived; lists must be text or gzip-compressed text");
        }

        var (isText, why) = TextCheck(head, whole);
        return isText ? (ListContentKind.Text, null) : (ListContentKind.NotAList, why);
    }

    private static byte[] Inflate(ReadOnlySpan<byte> head)
    {
        using var input = new MemoryStream(head.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        var output = new byte[HeadBytes];
        var got = 0;
        try
        {
            while (got < output.Length)
            {
                var n = gzip.Read(output, got, output.Length - got);
                if (n == 0)
                {
                    break;
                }

                got += n;
            }
        }
        catch (InvalidDataException) when (got > 0)
        {
            // The sample ends inside the compressed stream: what was inflated so far is the sample.
        }

        return output[..got];
    }

    private static (bool Text, string? Reason) TextCheck(ReadOnlySpan<byte> bytes, bool whole)
    {
        // UTF-16 with a byte-order mark: the list reader decodes it.
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return (true, null);
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            var status = Rune.DecodeFromUtf8(bytes[offset..], out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.NeedMoreData && !whole)
            {
                break;
            }

            if (status != System.Buffers.OperationStatus.Done)
            {
                return (false, string.Create(CultureInfo.InvariantCulture, $"not UTF-8 text (byte 0x{bytes[offset]:X2} at offset {offset})"));
            }

            if (rune.Value < 0x20 && rune.Value is not ('\t' or '\n' or '\r' or '\f' or '\v'))
            {
                return (false, string.Create(CultureInfo.InvariantCulture, $"binary data, not text (control byte 0x{rune.Value:X2} at offset {offset})"));
            }

            offset += consumed;
        }

        return (true, null);
    }
}
