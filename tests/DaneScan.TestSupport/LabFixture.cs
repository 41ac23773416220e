// In DaneScan.TestSupport: test projects reference it and subclass LabFixture with their own octet (see docs/lab.md
// and docs/testing.md), so that several labs run side by side on 127.X.0.0/16 blocks.
using DaneScan.Lab;

namespace DaneScan.Lab.Testing;

/// <summary>
/// An xunit fixture that starts a whole lab (nsd, unbound, SMTP servers in process) once for a test
/// collection and stops it afterwards, leaving no process behind. The default octet 53 belongs to
/// DaneScan.Lab.Tests; other projects derive with their own octet.
/// </summary>
public class LabFixture : IAsyncLifetime
{
    public LabFixture()
        : this(53)
    {
    }

    protected LabFixture(byte octet, bool dnsOnly = false, int smtpPort = 25)
    {
        Options = new LabOptions
        {
            Octet = octet,
            DnsOnly = dnsOnly,
            SmtpPort = smtpPort,
            StateDirectory = Path.Combine(Path.GetTempPath(), $"danescan-lab-test-{octet}"),
        };
    }

    public LabOptions Options { get; private set; }

    /// <summary>The running lab (after <see cref="InitializeAsync"/>).</summary>
    public LabEnvironment Lab { get; private set; } = null!;

    public async Task InitializeAsync() => Lab = await LabEnvironment.StartAsync(Options);

    /// <summary>Stops the lab and starts it again with other options (the same octet and state directory).</summary>
    protected async Task RestartAsync(Func<LabOptions, LabOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        await Lab.DisposeAsync();
        Options = change(Options);
        Lab = await LabEnvironment.StartAsync(Options);
    }

    public async Task DisposeAsync()
    {
        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }

        try
        {
            Directory.Delete(Options.ResolvedStateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the next start, which cleans it.
        }
    }
}
