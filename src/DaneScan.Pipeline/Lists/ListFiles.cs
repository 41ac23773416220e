using System.Globalization;

namespace DaneScan.Pipeline.Lists;

/// <summary>Opening list files, and naming what went wrong when one cannot be opened or read.</summary>
public static class ListFiles
{
    /// <summary>
    /// Opens a list file for reading, or throws <see cref="ListReadException"/> saying why it cannot be: no such
    /// file, a symbolic link to nothing, a directory, permission denied.
    /// </summary>
    public static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Problem(full) is { } problem)
        {
            throw problem;
        }

        try
        {
            return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 65536, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (Classify(full, e, 0) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Why a path cannot be a list file (without opening it), or null when it may be one.</summary>
    public static ListReadException? Problem(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (info.LinkTarget is { } target)
        {
            // File.Exists is true for a link to nothing (it looks at the link): follow it to its end.
            FileSystemInfo? final;
            try
            {
                final = File.ResolveLinkTarget(full, returnFinalTarget: true);
            }
            catch (IOException)
            {
                final = null; // a loop of links
            }

            if (final is null || !(File.Exists(final.FullName) || Directory.Exists(final.FullName)))
            {
                return new ListReadException(full, ListFailure.NotFound, $"is a symbolic link to {target}, which does not exist");
            }
        }

        if (Directory.Exists(full))
        {
            return new ListReadException(full, ListFailure.NotAFile, "is a directory, not a list file");
        }

        if (File.Exists(full))
        {
            return null;
        }

        return new ListReadException(full, ListFailure.NotFound, "does not exist");
    }

    /// <summary>
    /// The <see cref="ListReadException"/> for an exception met while opening or reading a list (at
    /// <paramref name="offset"/> bytes as stored); null for exceptions that are not about the list's bytes.
    /// </summary>
    public static ListReadException? Classify(string source, Exception exception, long offset)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            ListReadException => null,
            ListDataException data => new ListReadException(source, data.Failure, data.Message, data),
            UnauthorizedAccessException e => new ListReadException(source, ListFailure.AccessDenied,
                string.Create(CultureInfo.InvariantCulture, $"cannot be read: permission denied{(offset > 0 ? $" at byte {offset}" : string.Empty)}"), e),
            FileNotFoundException or DirectoryNotFoundException => new ListReadException(source, ListFailure.NotFound, "does not exist", exception),
            IOException e => new ListReadException(source, ListFailure.ReadError,
                string.Create(CultureInfo.InvariantCulture, $"read error at byte {offset}: {e.Message}"), e),
            _ => null,
        };
    }
}

/// <summary>The leading bytes of formats that are not lists (other compressors, archives).</summary>
public static class ListMagic
{
    /// <summary>How many leading bytes the checks look at.</summary>
    public const int HeadBytes = 8;

    private static readonly (string Name, byte[] Magic)[] OtherFormats =
    [
        ("zip", [0x50, 0x4B, 0x03, 0x04]),
        ("bzip2", [0x42, 0x5A, 0x68]),
        ("xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]),
        ("zstd", [0x28, 0xB5, 0x2F, 0xFD]),
        ("7z", [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]),
    ];

    /// <summary>The name of the non-list format the bytes start with, or null.</summary>
    public static string? OtherFormat(ReadOnlySpan<byte> head)
    {
        foreach (var (name, magic) in OtherFormats)
        {
            if (head.StartsWith(magic))
            {
                return name;
            }
        }

        return null;
    }
}
