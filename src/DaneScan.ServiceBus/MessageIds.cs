using System.Security.Cryptography;
using System.Text;
using DaneScan.Contracts;

namespace DaneScan.ServiceBus;

/// <summary>
/// Deterministic MessageIds for Service Bus duplicate detection: the same work sent twice (a timer that
/// fires twice, an enumerate that is retried, two domains that claim the same host) carries the same id,
/// and the queue drops the second copy within its duplicate-detection window.
/// </summary>
public static class MessageIds
{
    /// <summary>Id of a resolve batch: a hash of the run id and the batch's domains in order.</summary>
    public static string For(ResolveBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var sb = new StringBuilder();
        sb.Append(WorkMessageKinds.ResolveBatch).Append('\n').Append(batch.SchemaVersion).Append('\n').Append(batch.RunId).Append('\n');
        foreach (var d in batch.Domains)
        {
            sb.Append(d).Append('\n');
        }

        return "rb-" + Hash(sb.ToString());
    }

    /// <summary>
    /// Id of a probe request: a hash of the run id, host, address, port and SNI. Two domains of one run
    /// that share an MX host produce the same id, so a racing second claim is dropped by the queue too.
    /// </summary>
    public static string For(ProbeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = string.Join('\n', WorkMessageKinds.ProbeRequest, request.SchemaVersion, request.RunId, request.Host, request.Address, request.Port, request.Sni ?? string.Empty);
        return "pr-" + Hash(text);
    }

    private static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
