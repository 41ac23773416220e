using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using DaneScan.Storage.Tests;

namespace DaneScan.EndToEnd.Tests;

/// <summary>
/// <c>danescan scan</c> with lists that cannot be read to their end, as a user meets them: a download cut short,
/// a damaged file, a link to nothing, a file the user may not read, binary data. Each stops the run before a
/// name is scanned, with one line naming the list (and where it breaks), exit code 6 (docs/exit-codes.md) and
/// the run's manifest saying Failed. These runs stop before the resolver is asked anything, so they need no lab.
/// </summary>
[Trait("Category", "Integration")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // mode bits, symbolic links and setpriv: the scanner runs on Linux
public sealed class ScanListTests : IDisposable
{
    /// <summary>ListUnreadable in docs/exit-codes.md.</summary>
    private const int ListUnreadable = 6;

    /// <summary>RunLocked in docs/exit-codes.md.</summary>
    private const int RunLocked = 7;

    /// <summary>Nobody: a user that mode bits apply to (the tests run as root, which they do not stop).</summary>
    private const string Nobody = "65534";

    private readonly string _dir = Directory.CreateTempSubdirectory("danescan-scanlists-").FullName;

    public ScanListTests()
    {
        // Readable and writable by Nobody too.
        File.SetUnixFileMode(_dir, (UnixFileMode)0x1FF);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Runs => Path.Combine(_dir, "runs");

    private static readonly string[] Names = [.. Enumerable.Range(1, 20_000).Select(i => $"n{i}.example.net")];

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A list compressed by gzip(1), as lists are published.</summary>
    private byte[] Gzip(IEnumerable<string> names)
    {
        var plain = Write($"plain-{Guid.NewGuid():N}.txt", Encoding.UTF8.GetBytes(string.Join('\n', names) + "\n"));
        using (var p = Process.Start(new ProcessStartInfo("gzip", ["-9", "-n", plain]) { UseShellExecute = false })!)
        {
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
        }

        var bytes = File.ReadAllBytes(plain + ".gz");
        File.Delete(plain + ".gz");
        return bytes;
    }

    private Task<Cli.Result> ScanAsync(string runId, params string[] lists) =>
        Cli.RunAsync(["scan", "--out", Runs, "--run-id", runId, "--resolver", "127.0.0.1:1", .. lists]);

    private JsonElement Manifest(string runId)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Runs, runId, "manifest.json")));
        return doc.RootElement.Clone();
    }

    /// <summary>The run failed on the list: exit 6, one line on stderr naming it, manifest Failed, no domain recorded.</summary>
    private string AssertListFailure(Cli.Result result, string runId, string list, string expected)
    {
        Assert.True(result.ExitCode == ListUnreadable, $"exit {result.ExitCode}: {result.Stderr}");
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines, l => l.Contains(list, StringComparison.Ordinal));
        Assert.StartsWith($"danescan scan: list {list}: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);

        var manifest = Manifest(runId);
        Assert.Equal("Failed", manifest.GetProperty("state").GetString());
        Assert.Contains(expected, manifest.GetProperty("failure").GetString(), StringComparison.Ordinal);
        Assert.Contains(manifest.GetProperty("lists").EnumerateArray(), l => l.GetProperty("source").GetString() == list && l.GetProperty("skipped").GetString()!.Contains(expected, StringComparison.Ordinal));
        Assert.NotEqual("Completed", manifest.GetProperty("state").GetString());

        // Nothing was scanned: no domain recorded, no probe made.
        var domains = Path.Combine(Runs, runId, "domains.jsonl");
        Assert.True(!File.Exists(domains) || new FileInfo(domains).Length == 0, "domains were recorded");
        Assert.Equal(0, manifest.GetProperty("counts").GetProperty("domainsRecorded").GetInt64());
        return line;
    }

    [Fact]
    public async Task A_gzip_list_cut_mid_stream_fails_naming_the_byte_it_ends_at_and_scans_nothing()
    {
        var whole = Gzip(Names);
        var cut = whole.Length / 2;
        var list = Write("tranco.csv.gz", whole[..cut]);

        var result = await ScanAsync("cut", list);

        AssertListFailure(result, "cut", list, $"is truncated: the gzip data ends at byte {cut.ToString(CultureInfo.InvariantCulture)}");
    }

    [Fact]
    public async Task A_gzip_list_missing_only_its_trailer_is_truncated()
    {
        // Every name is in the deflate data; only the CRC-32 and length are gone: still not a whole file.
        var whole = Gzip(Names);
        var list = Write("trailer.gz", whole[..^8]);

        var result = await ScanAsync("trailer", list);

        AssertListFailure(result, "trailer", list, "is truncated");
    }

    [Fact]
    public async Task A_whole_list_before_a_cut_one_is_not_scanned_either()
    {
        var good = Write("good.txt", Encoding.UTF8.GetBytes("a.example.net\nb.example.net\n"));
        var whole = Gzip(Names);
        var bad = Write("bad.gz", whole[..(whole.Length - 100)]);

        var result = await ScanAsync("two", good, bad);

        AssertListFailure(result, "two", bad, "is truncated");
        Assert.Contains($"list {good}: read whole (2 lines", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_gzip_list_fails_as_corrupt()
    {
        var bytes = Gzip(Names);
        bytes[bytes.Length / 3] ^= 0x55;
        var list = Write("corrupt.gz", bytes);

        var result = await ScanAsync("corrupt", list);

        AssertListFailure(result, "corrupt", list, "the gzip data is corrupt");
    }

    [Fact]
    public async Task A_dangling_symbolic_link_fails_naming_its_target()
    {
        var target = Path.Combine(_dir, "moved-away.txt");
        var list = Path.Combine(_dir, "list.txt");
        File.CreateSymbolicLink(list, target);

        var result = await ScanAsync("dangling", list);

        AssertListFailure(result, "dangling", list, $"is a symbolic link to {target}, which does not exist");
    }

    [Fact]
    public async Task A_directory_given_as_a_list_fails()
    {
        var list = Directory.CreateDirectory(Path.Combine(_dir, "lists")).FullName;

        var result = await ScanAsync("directory", list);

        AssertListFailure(result, "directory", list, "is a directory, not a list file");
    }

    [Fact]
    public async Task A_list_without_read_permission_fails_as_permission_denied()
    {
        // Root reads any file whatever its mode, so the scan runs as nobody, for whom mode 000 means no.
        var list = Write("private.txt", Encoding.UTF8.GetBytes("a.example.net\n"));
        File.SetUnixFileMode(list, UnixFileMode.None);
        Directory.CreateDirectory(Runs);
        File.SetUnixFileMode(Runs, (UnixFileMode)0x1FF);

        var result = await Cli.RunAsAsync(Nobody, "scan", "--out", Runs, "--run-id", "denied", "--resolver", "127.0.0.1:1", list);

        AssertListFailure(result, "denied", list, "cannot be read: permission denied");
    }

    [Fact]
    public async Task Random_binary_is_refused_as_not_text()
    {
        var random = new byte[65536];
        new Random(7).NextBytes(random);
        random[0] = (byte)'x';
        var list = Write("random.bin", random);

        var result = await ScanAsync("random", list);

        AssertListFailure(result, "random", list, "not UTF-8 text");
    }

    [Fact]
    public async Task A_gzip_bomb_of_newlines_stops_at_the_line_bound_within_seconds()
    {
        // 200 MiB of newlines in about 200 KB of gzip: the default bound would let 100 million lines through, so
        // the test sets 1 million and checks that the run stops at it, quickly and with its own message.
        var bomb = Path.Combine(_dir, "bomb");
        await using (var file = File.Create(bomb))
        {
            var newlines = new byte[1 << 20];
            Array.Fill(newlines, (byte)'\n');
            for (var i = 0; i < 200; i++)
            {
                await file.WriteAsync(newlines);
            }
        }

        using (var p = Process.Start(new ProcessStartInfo("gzip", ["-1", bomb]) { UseShellExecute = false })!)
        {
            await p.WaitForExitAsync();
        }

        var clock = Stopwatch.StartNew();
        var result = await Cli.RunAsync("scan", "--out", Runs, "--run-id", "bomb", "--resolver", "127.0.0.1:1", "--max-list-lines", "1000000", bomb + ".gz");

        AssertListFailure(result, "bomb", bomb + ".gz", "has more than 1000000 lines");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Text_over_the_byte_bound_is_refused()
    {
        var list = Write("big.txt", Encoding.UTF8.GetBytes(string.Join('\n', Names) + "\n"));

        var result = await Cli.RunAsync("scan", "--out", Runs, "--run-id", "bytes", "--resolver", "127.0.0.1:1", "--max-list-bytes", "1000", list);

        AssertListFailure(result, "bytes", list, "has more than 1000 bytes of text");
    }

    [Fact]
    public async Task A_second_scan_of_a_locked_run_is_refused_at_once_naming_the_holder()
    {
        // The first scan holds the lock while its resolver self-check waits on an address that never answers.
        var list = Write("names.txt", Encoding.UTF8.GetBytes("a.example.net\n"));
        using var first = Process.Start(Cli.Info(null, "scan", "--out", Runs, "--run-id", "locked", "--resolver", "192.0.2.1:53", list))!;
        _ = first.StandardOutput.ReadToEndAsync();
        _ = first.StandardError.ReadToEndAsync();
        try
        {
            var holder = Path.Combine(Runs, "locked", "writer.json");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!File.Exists(holder))
            {
                Assert.False(first.HasExited, "the first scan ended before it could be raced");
                Assert.True(DateTime.UtcNow < deadline, "the first scan never took the lock");
                await Task.Delay(50);
            }

            var manifestBefore = File.Exists(Path.Combine(Runs, "locked", "manifest.json")) ? File.ReadAllText(Path.Combine(Runs, "locked", "manifest.json")) : null;
            var clock = Stopwatch.StartNew();
            var second = await Cli.RunAsync("scan", "--out", Runs, "--run-id", "locked", "--resolver", "127.0.0.1:1", "--dns-concurrency", "3", list);
            clock.Stop();

            Assert.True(second.ExitCode == RunLocked, $"exit {second.ExitCode}: {second.Stderr}");
            var line = Assert.Single(second.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"is being written by process {first.Id} on {Environment.MachineName} since ", line, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the refusal took {clock.Elapsed}");
            Assert.Equal(manifestBefore, File.Exists(Path.Combine(Runs, "locked", "manifest.json")) ? File.ReadAllText(Path.Combine(Runs, "locked", "manifest.json")) : null);
            Assert.False(first.HasExited, "the refused scan disturbed the first");
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
    }
    [AzuriteFact]
    public async Task A_second_scan_of_a_run_locked_in_Table_Storage_is_refused_at_once_naming_the_holder()
    {
        // As above, with the run in Table Storage: the lock is a lease row in the run's partition of the runs table.
        var connection = Azurite.ConnectionString;
        var runId = $"locked-{Guid.NewGuid():N}"[..22];
        var runs = new TableClient(connection, "danescanRuns");
        var list = Write("names.txt", Encoding.UTF8.GetBytes("a.example.net\n"));
        string[] args = ["scan", "--store", "table", "--table-connection", connection, "--run-id", runId, list];
        using var first = Process.Start(Cli.Info(null, [.. args, "--resolver", "192.0.2.1:53"]))!;
        _ = first.StandardOutput.ReadToEndAsync();
        _ = first.StandardError.ReadToEndAsync();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!await ExistsAsync(runs, runId, "lock"))
            {
                Assert.False(first.HasExited, "the first scan ended before it could be raced");
                Assert.True(DateTime.UtcNow < deadline, "the first scan never took the lock");
                await Task.Delay(50);
            }

            var manifestBefore = await ExistsAsync(runs, runId, "manifest");
            var clock = Stopwatch.StartNew();
            var second = await Cli.RunAsync([.. args, "--resolver", "127.0.0.1:1"]);
            clock.Stop();

            Assert.True(second.ExitCode == RunLocked, $"exit {second.ExitCode}: {second.Stderr}");
            var line = Assert.Single(second.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"danescan scan: Conflict: run {runId} in Table Storage ", line, StringComparison.Ordinal);
            Assert.Contains($"is being written by process {first.Id} on {Environment.MachineName} since ", line, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the refusal took {clock.Elapsed}");
            Assert.Equal(manifestBefore, await ExistsAsync(runs, runId, "manifest"));
            Assert.False(first.HasExited, "the refused scan disturbed the first");
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
            await runs.DeleteEntityAsync(runId, "lock");
            await runs.DeleteEntityAsync(runId, "manifest");
        }
    }

    private static async Task<bool> ExistsAsync(TableClient table, string partition, string row)
    {
        try
        {
            return (await table.GetEntityIfExistsAsync<TableEntity>(partition, row)).HasValue;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return false; // the table itself is not there yet
        }
    }
}
