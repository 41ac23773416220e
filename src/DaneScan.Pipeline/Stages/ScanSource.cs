namespace DaneScan.Pipeline.Stages;

/// <summary>One domain list a run reads: a name for the manifest and a way to open its bytes (read once, streamed).</summary>
public sealed record ScanSource(string Name, Func<Stream> Open, long? Length)
{
    /// <summary>A list file on disk (plain text, rank CSV, either gzip-compressed).</summary>
    public static ScanSource File(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        // Opening names what is wrong (no such file, a dangling link, a directory, permission) as a ListReadException.
        return new ScanSource(full, () => Lists.ListFiles.Open(full), System.IO.File.Exists(full) ? new FileInfo(full).Length : null);
    }

    /// <summary>A small in-memory list (for example the lab's case domains), one name a line.</summary>
    public static ScanSource Names(string name, IEnumerable<string> domains)
    {
        ArgumentNullException.ThrowIfNull(domains);
        var bytes = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', domains) + "\n");
        return new ScanSource(name, () => new MemoryStream(bytes, writable: false), bytes.Length);
    }
}
