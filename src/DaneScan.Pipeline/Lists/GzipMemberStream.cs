using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;

namespace DaneScan.Pipeline.Lists;

/// <summary>
/// Decompresses gzip data (RFC 1952: one member or several concatenated) and proves that it is whole: each
/// member's header is parsed, its deflate data inflated, and the CRC-32 and length in its 8-byte trailer
/// compared with what was inflated. .NET's <see cref="GZipStream"/> reports the end of the data when the
/// input ends inside a member, so a cut file reads as a shorter whole one; this stream throws instead
/// (<see cref="ListFailure.Truncated"/>, <see cref="ListFailure.CorruptCompression"/>), naming the byte offset.
/// </summary>
/// <remarks>
/// The raw deflate stream is fed at most <see cref="FeedBytes"/> bytes a read, so when it reports the end of a
/// member, the bytes it did not use (the trailer and anything after it) lie inside the last piece fed: the
/// trailer is the 8 bytes there that hold the member's CRC-32 and length (a false match has a probability of
/// 2⁻⁶⁴ per position). The last <see cref="EndBytes"/> bytes of the input are fed one at a time, so a member
/// that ends there ends exactly where the feeding stopped: fewer than 8 bytes after it is a cut trailer, 8
/// or more that do not match is a damaged one.
/// </remarks>
internal sealed class GzipMemberStream : Stream
{
    private const int FeedBytes = 16384;
    private const int EndBytes = 32;
    private const int MaxHeaderField = 65536;

    private readonly Stream _input;
    private readonly byte[] _buffer = new byte[(4 * FeedBytes) + 64];
    private readonly Crc32 _crc = new();
    private int _pos;
    private int _len;
    private int _lastFed;
    private long _bufferBase;
    private bool _inputEnded;
    private DeflateStream? _member;
    private long _memberStart;
    private long _memberSize;
    private int _members;
    private bool _done;
    private bool _fedToEnd;

    public GzipMemberStream(Stream input)
    {
        _input = input ?? throw new ArgumentNullException(nameof(input));
    }

    /// <summary>Bytes of gzip data consumed so far (the offset of the next unread byte).</summary>
    public long InputOffset => _bufferBase + _pos;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (!_done)
        {
            if (_member is null)
            {
                if (!await FillAsync(1, cancellationToken).ConfigureAwait(false))
                {
                    if (_members == 0)
                    {
                        throw Truncated("is truncated: the gzip data is empty");
                    }

                    _done = true;
                    break;
                }

                await StartMemberAsync(cancellationToken).ConfigureAwait(false);
            }

            int n;
            try
            {
                n = await _member!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                // (.NET's own message, "unsupported compression method", misleads.)
                throw new ListDataException(ListFailure.CorruptCompression, $"the gzip data is corrupt: the deflate data of the member that starts at byte {_memberStart} is invalid near byte {InputOffset}") { Inner = e };
            }

            if (n > 0)
            {
                _crc.Append(buffer.Span[..n]);
                _memberSize += n;
                return n;
            }

            await EndMemberAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    private async Task StartMemberAsync(CancellationToken cancellationToken)
    {
        _memberStart = InputOffset;
        _lastFed = _pos;
        var id1 = await HeaderByteAsync(cancellationToken).ConfigureAwait(false);
        var id2 = await HeaderByteAsync(cancellationToken).ConfigureAwait(false);
        if (id1 != 0x1F || id2 != 0x8B)
        {
            throw _members == 0
                ? Corrupt("the gzip data is corrupt: no gzip magic bytes at byte 0")
                : Corrupt($"the gzip data is corrupt: data that is not a gzip member follows its end, at byte {_memberStart}");
        }

        var method = await HeaderByteAsync(cancellationToken).ConfigureAwait(false);
        if (method != 8)
        {
            throw Corrupt($"the gzip data is corrupt: the member at byte {_memberStart} names compression method {method}, not deflate (8)");
        }

        var flags = await HeaderByteAsync(cancellationToken).ConfigureAwait(false);
        if ((flags & 0xE0) != 0)
        {
            throw Corrupt($"the gzip data is corrupt: the member at byte {_memberStart} has reserved header flags set (0x{flags:X2})");
        }

        for (var i = 0; i < 6; i++)
        {
            await HeaderByteAsync(cancellationToken).ConfigureAwait(false); // MTIME, XFL, OS
        }

        if ((flags & 0x04) != 0)
        {
            var xlen = await HeaderByteAsync(cancellationToken).ConfigureAwait(false) | (await HeaderByteAsync(cancellationToken).ConfigureAwait(false) << 8);
            for (var i = 0; i < xlen; i++)
            {
                await HeaderByteAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var zeroTerminated in new[] { 0x08, 0x10 })
        {
            if ((flags & zeroTerminated) == 0)
            {
                continue;
            }

            var length = 0;
            while (await HeaderByteAsync(cancellationToken).ConfigureAwait(false) != 0)
            {
                if (++length > MaxHeaderField)
                {
                    throw Corrupt($"the gzip data is corrupt: the member at byte {_memberStart} has a file name or comment longer than {MaxHeaderField} bytes");
                }
            }
        }

        if ((flags & 0x02) != 0)
        {
            await HeaderByteAsync(cancellationToken).ConfigureAwait(false);
            await HeaderByteAsync(cancellationToken).ConfigureAwait(false);
        }

        _crc.Reset();
        _memberSize = 0;
        _fedToEnd = false;
        _lastFed = _pos;
        _member = new DeflateStream(new Feed(this), CompressionMode.Decompress, leaveOpen: false);
    }

    private async Task EndMemberAsync(CancellationToken cancellationToken)
    {
        // The deflate stream stopped: at the end of its data, or because the input ended inside it. The trailer,
        // if there is one, starts inside the last piece fed (or right after it).
        await FillAsync(8, cancellationToken).ConfigureAwait(false);
        Span<byte> expected = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(expected, _crc.GetCurrentHashAsUInt32());
        BinaryPrimitives.WriteUInt32LittleEndian(expected[4..], unchecked((uint)_memberSize));
        var found = -1;
        for (var i = _lastFed; i <= _pos && i + 8 <= _len; i++)
        {
            if (_buffer.AsSpan(i, 8).SequenceEqual(expected))
            {
                found = i;
                break;
            }
        }

        if (found < 0)
        {
            if (_fedToEnd)
            {
                throw Truncated(string.Create(CultureInfo.InvariantCulture,
                    $"is truncated: the gzip data ends at byte {InputOffset}, inside the deflate data of the member that starts at byte {_memberStart}"));
            }

            if (_inputEnded && _len - _pos < 8)
            {
                // The deflate data is complete, but fewer than 8 bytes may follow it: the trailer is cut (or damaged).
                throw Truncated(string.Create(CultureInfo.InvariantCulture,
                    $"is truncated: the gzip data ends at byte {_bufferBase + _len} without the CRC-32 and length of the member that starts at byte {_memberStart} (or they are damaged)"));
            }

            throw Corrupt($"the gzip data is corrupt: the member that starts at byte {_memberStart} ends near byte {InputOffset} with a CRC-32 or length that does not match its data");
        }

        await _member!.DisposeAsync().ConfigureAwait(false);
        _member = null;
        _pos = found + 8;
        _lastFed = _pos;
        _members++;
    }

    private async ValueTask<byte> HeaderByteAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(1, cancellationToken).ConfigureAwait(false))
        {
            throw Truncated($"is truncated: the gzip data ends at byte {InputOffset}, inside the header of the member that starts at byte {_memberStart}");
        }

        return _buffer[_pos++];
    }

    /// <summary>Makes at least <paramref name="count"/> unread bytes available unless the input ends first; false when none is.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_len - _pos >= count)
        {
            return true;
        }

        // Keep the last piece fed (the trailer search looks there); drop what is before it.
        var keep = Math.Min(_lastFed, _pos);
        if (keep > 0)
        {
            Buffer.BlockCopy(_buffer, keep, _buffer, 0, _len - keep);
            _bufferBase += keep;
            _pos -= keep;
            _lastFed -= keep;
            _len -= keep;
        }

        while (_len - _pos < count && !_inputEnded)
        {
            int n;
            try
            {
                n = await _input.ReadAsync(_buffer.AsMemory(_len), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException and not ListDataException)
            {
                throw new ListDataException(ListFailure.ReadError, string.Create(CultureInfo.InvariantCulture, $"read error at byte {_bufferBase + _len}: {e.Message}"));
            }

            if (n == 0)
            {
                _inputEnded = true;
            }

            _len += n;
        }

        return _len > _pos;
    }

    private ListDataException Truncated(string detail) => new(ListFailure.Truncated, detail);

    private static ListDataException Corrupt(string detail) => new(ListFailure.CorruptCompression, detail);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _member?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>What the raw deflate stream reads: the buffered gzip data, at most <see cref="FeedBytes"/> bytes at a time.</summary>
    private sealed class Feed(GzipMemberStream owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            // Look ahead far enough to know whether the input ends within the next piece: its last bytes are fed
            // one at a time, so that where the deflate data ends there is known to the byte (a cut trailer is
            // then told from a damaged one).
            if (!await owner.FillAsync(FeedBytes + EndBytes + 1, cancellationToken).ConfigureAwait(false))
            {
                // The deflate data wants more and there is none: it is cut.
                owner._fedToEnd = true;
                return 0;
            }

            var available = owner._len - owner._pos;
            var n = available > EndBytes ? Math.Min(Math.Min(buffer.Length, FeedBytes), available - EndBytes) : 1;
            owner._buffer.AsSpan(owner._pos, n).CopyTo(buffer.Span);
            owner._lastFed = owner._pos;
            owner._pos += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
