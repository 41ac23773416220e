using System.Globalization;

namespace DaneScan.Pipeline.Lists;

/// <summary>Why a domain list cannot be read to its end. A list with any of these is not scanned at all.</summary>
public enum ListFailure
{
    /// <summary>No such file (or a symbolic link whose target does not exist).</summary>
    NotFound,

    /// <summary>The path is a directory or a device, not a list file.</summary>
    NotAFile,

    /// <summary>The operating system refused to open or read it (permissions).</summary>
    AccessDenied,

    /// <summary>An I/O error while reading.</summary>
    ReadError,

    /// <summary>The gzip data ends before the end of its last member: a cut download or copy.</summary>
    Truncated,

    /// <summary>The gzip data is not valid (bad header, bad deflate data, a CRC-32 or length that does not match, data after the end).</summary>
    CorruptCompression,

    /// <summary>The content is not a text list: binary data, invalid UTF-8, another compression or archive format.</summary>
    NotText,

    /// <summary>The (decompressed) content is longer than <see cref="DomainListOptions.MaxDecompressedBytes"/>.</summary>
    TooLarge,

    /// <summary>The list has more lines than <see cref="DomainListOptions.MaxLines"/>.</summary>
    TooManyLines,

    /// <summary>The list changed between the check and the read (its bytes differ from those checked).</summary>
    Changed,
}

/// <summary>
/// A domain list that cannot be read to its end. <see cref="Exception.Message"/> is one line naming the list,
/// what went wrong and where (<see cref="Offset"/>: bytes of the list as stored, or of the decompressed text).
/// </summary>
public sealed class ListReadException : IOException
{
    public ListReadException(string source, ListFailure failure, string detail, Exception? inner = null)
        : base(string.Create(CultureInfo.InvariantCulture, $"list {source}: {detail}"), inner)
    {
        Source = source;
        Failure = failure;
        Detail = detail;
    }

    public ListReadException()
        : this("(unnamed)", ListFailure.ReadError, "cannot be read")
    {
    }

    public ListReadException(string message)
        : this("(unnamed)", ListFailure.ReadError, message)
    {
    }

    public ListReadException(string message, Exception innerException)
        : this("(unnamed)", ListFailure.ReadError, message, innerException)
    {
    }

    /// <summary>The list's name (a path or blob name).</summary>
    public new string Source { get; }

    public ListFailure Failure { get; }

    /// <summary>The message without the list's name.</summary>
    public string Detail { get; }
}

/// <summary>A list fault found below the reader (in the gzip layer or a bound), before the list's name is known.</summary>
internal sealed class ListDataException(ListFailure failure, string detail) : IOException(detail)
{
    public ListFailure Failure { get; } = failure;

    /// <summary>The exception that revealed the fault, if any.</summary>
    public Exception? Inner { get; init; }
}
