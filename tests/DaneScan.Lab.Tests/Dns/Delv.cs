using System.Globalization;
using System.Net;
using DaneScan.Lab.Hosting;

namespace DaneScan.Lab.Tests.Dns;

/// <summary>What delv (BIND's validating lookup tool, validating itself from the lab's root anchor) says.</summary>
public sealed record DelvAnswer(string Raw, string Errors)
{
    /// <summary>"; fully validated" or "; negative response, fully validated".</summary>
    public bool FullyValidated => Raw.Contains("fully validated", StringComparison.Ordinal);

    /// <summary>"; unsigned answer" or "; negative response, unsigned answer".</summary>
    public bool Unsigned => Raw.Contains("unsigned answer", StringComparison.Ordinal);

    public bool Negative => Raw.Contains("; negative response", StringComparison.Ordinal);

    /// <summary>Validation or resolution failed (not a proved denial).</summary>
    public bool ResolutionFailed => Errors.Contains("resolution failed", StringComparison.Ordinal) && !Negative;
}

public static class Delv
{
    public static async Task<DelvAnswer> QueryAsync(IPEndPoint server, string anchorFile, string name, string type)
    {
        var result = await Tool.RunAsync(
            "delv",
            ["@" + server.Address, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-a", anchorFile, "+root=.", type, name],
            timeout: TimeSpan.FromSeconds(60));
        return new DelvAnswer(result.StandardOutput, result.StandardError);
    }
}
