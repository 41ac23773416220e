using System.Globalization;
using System.Text;

namespace DaneScan.Smtp;

/// <summary>One complete SMTP reply (RFC 5321 §4.2): a three-digit code and one or more text lines.</summary>
internal sealed record SmtpReply(int Code, IReadOnlyList<string> Lines)
{
    public bool IsPositiveCompletion => Code is >= 200 and < 300;

    public bool IsTransientFailure => Code is >= 400 and < 500;

    public bool IsPermanentFailure => Code is >= 500 and < 600;

    /// <summary>The reply as the server sent it, lines joined by " / ", for reports.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Lines.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(" / ");
            }

            sb.Append(Code.ToString(CultureInfo.InvariantCulture));
            if (Lines[i].Length > 0)
            {
                sb.Append(' ').Append(Lines[i]);
            }
        }

        return sb.ToString();
    }
}

/// <summary>Why a reply could not be read; becomes a <see cref="DaneScan.Core.ProbeOutcome.ProtocolError"/>.</summary>
internal sealed class SmtpProtocolException(string message) : Exception(message);

/// <summary>
/// Reads SMTP replies from a stream with fixed memory: one buffer of at most the line bound, at most
/// <see cref="SmtpProbeOptions.MaxLinesPerReply"/> lines and <see cref="SmtpProbeOptions.MaxReplyBytes"/>
/// bytes per reply. Lines end in CRLF; a bare LF is accepted. It never reads past what the stream
/// delivers in one read, so bytes sent after a reply stay in <see cref="BufferedCount"/> to be discarded.
/// </summary>
internal sealed class SmtpReplyReader
{
    private readonly Stream _stream;
    private readonly int _maxLineLength;
    private readonly int _maxLines;
    private readonly int _maxBytes;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    public SmtpReplyReader(Stream stream, SmtpProbeOptions options)
    {
        _stream = stream;
        _maxLineLength = options.MaxLineLength;
        _maxLines = options.MaxLinesPerReply;
        _maxBytes = options.MaxReplyBytes;
        _buffer = new byte[Math.Max(4096, _maxLineLength + 2)];
    }

    /// <summary>Bytes received but not yet consumed by a reply.</summary>
    public int BufferedCount => _end - _start;

    /// <summary>Drops whatever was received beyond the last reply; returns how many bytes were dropped.</summary>
    public int DiscardBuffered()
    {
        int n = _end - _start;
        _start = _end = 0;
        return n;
    }

    public async Task<SmtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        int code = -1;
        int bytes = 0;
        while (true)
        {
            (string line, int lineBytes) = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            bytes += lineBytes;
            if (bytes > _maxBytes)
            {
                throw new SmtpProtocolException(string.Create(
                    CultureInfo.InvariantCulture, $"reply longer than {_maxBytes} bytes (after {lines.Count} lines)"));
            }

            if (line.Length < 3 || !IsCode(line))
            {
                throw new SmtpProtocolException($"not an SMTP reply line: \"{Clip(line)}\"");
            }

            int lineCode = int.Parse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture);
            if (code >= 0 && lineCode != code)
            {
                throw new SmtpProtocolException(string.Create(
                    CultureInfo.InvariantCulture, $"reply code changed from {code} to {lineCode} inside one multi-line reply"));
            }

            code = lineCode;
            bool more;
            if (line.Length == 3)
            {
                more = false;
            }
            else if (line[3] == ' ')
            {
                more = false;
            }
            else if (line[3] == '-')
            {
                more = true;
            }
            else
            {
                throw new SmtpProtocolException($"reply line has neither ' ' nor '-' after the code: \"{Clip(line)}\"");
            }

            lines.Add(line.Length > 4 ? line[4..] : string.Empty);
            if (!more)
            {
                return new SmtpReply(code, lines);
            }

            if (lines.Count >= _maxLines)
            {
                throw new SmtpProtocolException(string.Create(
                    CultureInfo.InvariantCulture, $"multi-line reply longer than {_maxLines} lines"));
            }
        }
    }

    private async Task<(string Line, int Bytes)> ReadLineAsync(CancellationToken cancellationToken)
    {
        int scanned = 0;
        while (true)
        {
            int lf = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (lf >= 0)
            {
                int contentEnd = lf;
                if (contentEnd > _start && _buffer[contentEnd - 1] == (byte)'\r')
                {
                    contentEnd--;
                }

                if (contentEnd - _start > _maxLineLength)
                {
                    throw LineTooLong();
                }

                string line = Decode(_buffer.AsSpan(_start, contentEnd - _start));
                int consumed = lf + 1 - _start;
                _start = lf + 1;
                if (_start == _end)
                {
                    _start = _end = 0;
                }

                return (line, consumed);
            }

            scanned = _end - _start;
            if (scanned > _maxLineLength + 1)
            {
                throw LineTooLong();
            }

            if (_end == _buffer.Length)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, scanned);
                _start = 0;
                _end = scanned;
            }

            int n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new SmtpProtocolException(scanned == 0
                    ? "connection closed by the server"
                    : "connection closed by the server in the middle of a line");
            }

            _end += n;
        }
    }

    private SmtpProtocolException LineTooLong() => new(string.Create(
        CultureInfo.InvariantCulture, $"reply line longer than {_maxLineLength} bytes"));

    private static bool IsCode(string line) =>
        line[0] is >= '2' and <= '5' && char.IsAsciiDigit(line[1]) && char.IsAsciiDigit(line[2]);

    /// <summary>UTF-8 with replacement, control characters shown as '?', so server text is safe to print.</summary>
    internal static string Decode(ReadOnlySpan<byte> bytes)
    {
        string s = Encoding.UTF8.GetString(bytes);
        return string.Create(s.Length, s, static (span, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                char c = src[i];
                span[i] = char.IsControl(c) ? '?' : c;
            }
        });
    }

    internal static string Clip(string text, int max = 120) => text.Length <= max ? text : text[..max] + "...";
}
