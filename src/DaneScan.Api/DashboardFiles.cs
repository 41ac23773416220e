namespace DaneScan.Api;

/// <summary>
/// The dashboard's static files (src/DaneScan.Api/dashboard, and Chart.js from npm at build time), embedded
/// in this assembly so <c>danescan serve</c> needs no files beside it and loads nothing from a CDN. The build
/// also copies them to <c>dashboard/</c> in the output, to deploy as static files beside the Functions API.
/// </summary>
public static class DashboardFiles
{
    private const string Prefix = "dashboard/";

    /// <summary>The file names served, e.g. "index.html", "chart.umd.min.js".</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. typeof(DashboardFiles).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal)];

    /// <summary>The file's bytes and media type, or null when there is no such file.</summary>
    public static (byte[] Body, string ContentType)? Get(string name)
    {
        if (string.IsNullOrEmpty(name) || !Names.Contains(name, StringComparer.Ordinal))
        {
            return null;
        }

        using var stream = typeof(DashboardFiles).Assembly.GetManifestResourceStream(Prefix + name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return (copy.ToArray(), ContentType(name));
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
