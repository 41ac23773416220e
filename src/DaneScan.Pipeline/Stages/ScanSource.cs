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

/// <summary>Counts the bytes read through it, so that progress can estimate how much of the lists is left.</summary>
internal sealed class CountingStream(Stream inner, Action<long> onRead) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        onRead(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        onRead(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
