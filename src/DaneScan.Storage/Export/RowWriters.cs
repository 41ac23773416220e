using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DaneScan.Core;
using Parquet;
using Parquet.Serialization;

namespace DaneScan.Storage.Export;

/// <summary>The export formats.</summary>
public enum ExportFormat
{
    Csv,
    Jsonl,
    Parquet,
}

/// <summary>Writes rows of one table to a file, streaming (bounded memory).</summary>
public interface IRowWriter<in T> : IAsyncDisposable
{
    Task WriteAsync(T row, CancellationToken cancellationToken = default);

    long Rows { get; }
}

/// <summary>Creates the writer of a format.</summary>
public static class RowWriters
{
    public static string Extension(ExportFormat format) => format switch
    {
        ExportFormat.Csv => "csv",
        ExportFormat.Jsonl => "jsonl",
        ExportFormat.Parquet => "parquet",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <param name="format">The file format.</param>
    /// <param name="path">The file to create.</param>
    /// <param name="parquetRowGroupRows">Rows per Parquet row group (the rows buffered in memory).</param>
    public static IRowWriter<T> Create<T>(ExportFormat format, string path, int parquetRowGroupRows = ParquetRowWriter<T>.DefaultRowGroupRows)
        where T : class, new() => format switch
        {
            ExportFormat.Csv => new CsvRowWriter<T>(path),
            ExportFormat.Jsonl => new JsonlRowWriter<T>(path),
            ExportFormat.Parquet => new ParquetRowWriter<T>(path, parquetRowGroupRows),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };

    /// <summary>The columns of a row type: public properties in declaration order, named by their JsonPropertyName.</summary>
    public static IReadOnlyList<(string Name, PropertyInfo Property)> Columns<T>() =>
        [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .OrderBy(p => p.MetadataToken)
            .Select(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name, p))];
}

/// <summary>
/// RFC 4180 CSV with a header line; UTF-8 without BOM; ISO 8601 UTC times; empty for null. Every text field goes
/// through <see cref="SafeText.ForCsv"/>: no control byte (CR and LF included), no bidi or invisible character
/// reaches the file unescaped, a text a spreadsheet would take for a formula gets a leading <c>'</c>, and a field
/// with a comma or quote is quoted. Numbers, booleans and times are written in their invariant form, which holds
/// none of those characters (so <c>-1</c> stays a number). JSON Lines and Parquet keep the raw text.
/// </summary>
internal sealed class CsvRowWriter<T> : IRowWriter<T>
{
    private static readonly IReadOnlyList<(string Name, PropertyInfo Property)> Columns = RowWriters.Columns<T>();
    private readonly StreamWriter _writer;

    public CsvRowWriter(string path)
    {
        _writer = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\r\n" };
        _writer.WriteLine(string.Join(',', Columns.Select(c => SafeText.ForCsv(c.Name))));
    }

    public long Rows { get; private set; }

    public async Task WriteAsync(T row, CancellationToken cancellationToken = default)
    {
        var line = string.Join(',', Columns.Select(c => Field(c.Property.GetValue(row))));
        await _writer.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        Rows++;
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private static string Field(object? value) => value switch
    {
        null => "",
        string text => SafeText.ForCsv(text),
        bool b => b ? "true" : "false",
        DateTime d => d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => SafeText.ForCsv(value.ToString()),
    };
}

/// <summary>One JSON object a line, with the same column names as CSV and Parquet.</summary>
internal sealed class JsonlRowWriter<T> : IRowWriter<T>
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
    private readonly FileStream _stream;

    public JsonlRowWriter(string path) => _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 65536, FileOptions.Asynchronous);

    public long Rows { get; private set; }

    public async Task WriteAsync(T row, CancellationToken cancellationToken = default)
    {
        await JsonSerializer.SerializeAsync(_stream, row, Options, cancellationToken).ConfigureAwait(false);
        _stream.WriteByte((byte)'\n');
        Rows++;
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}

/// <summary>Parquet (Parquet.Net class serialisation), one row group per 50,000 rows by default, Snappy, with the schema version in the file metadata.</summary>
public sealed class ParquetRowWriter<T> : IRowWriter<T>
    where T : class, new()
{
    public const int DefaultRowGroupRows = 50_000;
    private static readonly Dictionary<string, string> Metadata = new()
    {
        [DatasetSchema.VersionMetadataKey] = DatasetSchema.Version.ToString(CultureInfo.InvariantCulture),
    };

    private readonly FileStream _stream;
    private readonly List<T> _buffer = [];
    private readonly int _rowGroupRows;
    private bool _started;

    public ParquetRowWriter(string path, int rowGroupRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        _rowGroupRows = rowGroupRows;
        _stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 65536, FileOptions.Asynchronous);
    }

    public long Rows { get; private set; }

    public async Task WriteAsync(T row, CancellationToken cancellationToken = default)
    {
        _buffer.Add(row);
        Rows++;
        if (_buffer.Count >= _rowGroupRows)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_buffer.Count > 0 || !_started)
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await ParquetSerializer.SerializeAsync(_buffer, _stream, new ParquetOptions { Append = _started }, Metadata, cancellationToken).ConfigureAwait(false);
        _started = true;
        _buffer.Clear();
    }
}
