namespace DaneScan.Contracts;

/// <summary>
/// The one definition of a probe's key within a run: <c>host|address</c>, the MX host name as published and the
/// address in canonical text form. A run probes one SMTP port (recorded in its manifest's settings), so the port
/// is not part of the key; a domain record's <see cref="DomainRecord.ProbeKeys"/> name its probes by this key.
/// </summary>
public static class ProbeKey
{
    public static string Of(string host, string address)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(address);
        return $"{host}|{address}";
    }
}
