using System.Text;

namespace DaneScan.Storage.Tests;

/// <summary>
/// A strict RFC 4180 reader for the tests: records end with CRLF, fields are separated by commas, a quoted field
/// may hold commas, CR, LF and doubled quotes. Anything else (a bare quote inside an unquoted field, text after a
/// closing quote, a bare CR or LF) throws, so a test reading a file with it also checks the file is well formed.
/// </summary>
public static class Rfc4180
{
    /// <summary>The records of a CSV text, each a list of fields.</summary>
    public static List<string[]> Parse(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException("unterminated quoted field");
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(text[i++]);
                }
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    if (text[i] == '"')
                    {
                        throw new FormatException($"quote inside an unquoted field at {i}");
                    }

                    field.Append(text[i++]);
                }
            }

            fields.Add(field.ToString());
            field.Clear();
            if (i >= text.Length)
            {
                throw new FormatException("last record without CRLF");
            }

            if (text[i] == ',')
            {
                i++;
                continue;
            }

            if (text[i] != '\r' || i + 1 >= text.Length || text[i + 1] != '\n')
            {
                throw new FormatException($"expected a comma or CRLF at {i}");
            }

            i += 2;
            records.Add([.. fields]);
            fields.Clear();
        }

        return records;
    }

    /// <summary>The records after the header, each as column name → field.</summary>
    public static List<Dictionary<string, string>> Rows(string text)
    {
        var records = Parse(text);
        var header = records[0];
        return [.. records.Skip(1).Select(r =>
        {
            if (r.Length != header.Length)
            {
                throw new FormatException($"record of {r.Length} fields under a header of {header.Length}");
            }

            return header.Zip(r).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        })];
    }
}
