namespace DaneScan.Lab.Testing;

/// <summary>The repository the tests run from (the directory holding DaneScan.sln above the test binaries).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DaneScan.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("DaneScan.sln not found above " + AppContext.BaseDirectory);
    }
}
