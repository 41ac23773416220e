using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace DaneScan.Dns;

/// <summary>
/// The classic test for bogus data when a resolver sends no Extended DNS Error: ask again with the
/// Checking Disabled bit (RFC 4035 §3.2.2). DnsClient cannot set CD, so this sends one small query itself.
/// SERVFAIL without CD but an answer (NOERROR or NXDOMAIN) with CD means the data exists and failed
/// validation: bogus. SERVFAIL again means the resolver could not get the data at all.
/// </summary>
internal static class CheckingDisabledProbe
{
    private const int MaxResponse = 65535;

    /// <summary>The RCODE of the CD query, or null when there was no usable reply within the deadline.</summary>
    public static async Task<int?> QueryRcodeAsync(IPEndPoint endpoint, string fqdn, ushort type, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var query = Build(fqdn, type, out var id);
        if (query is null)
        {
            return null;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var udp = new UdpClient(endpoint.AddressFamily);
            udp.Connect(endpoint);
            await udp.SendAsync(query, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                var reply = await udp.ReceiveAsync(deadline.Token).ConfigureAwait(false);
                var buffer = reply.Buffer;
                if (buffer.Length < 12 || buffer.Length > MaxResponse || BinaryPrimitives.ReadUInt16BigEndian(buffer) != id)
                {
                    continue;
                }

                var flags = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2));
                if ((flags & 0x8000) == 0)
                {
                    continue;
                }

                return flags & 0x000F;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>A query with RD and CD set and an OPT record with DO; null for a name that cannot be encoded.</summary>
    internal static byte[]? Build(string fqdn, ushort type, out ushort id)
    {
        id = (ushort)RandomNumberGenerator.GetInt32(0, 65536);
        var name = new List<byte>(fqdn.Length + 2);
        foreach (var label in fqdn.TrimEnd('.').Split('.', StringSplitOptions.None))
        {
            if (label.Length == 0 && fqdn.Trim('.').Length == 0)
            {
                break;
            }

            var bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length is 0 or > 63 || label.Any(c => c > 127))
            {
                return null;
            }

            name.Add((byte)bytes.Length);
            name.AddRange(bytes);
        }

        name.Add(0);
        if (name.Count > 255)
        {
            return null;
        }

        var message = new byte[12 + name.Count + 4 + 11];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0x0110); // RD | CD
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], 1); // QDCOUNT
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1); // ARCOUNT (OPT)
        name.CopyTo(message, 12);
        var at = 12 + name.Count;
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], type);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 2)..], 1); // IN
        at += 4;
        span[at] = 0; // root owner
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 1)..], 41); // OPT
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 3)..], 1232); // UDP payload size
        BinaryPrimitives.WriteUInt32BigEndian(span[(at + 5)..], 0x00008000); // DO
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 9)..], 0); // RDLENGTH
        return message;
    }
}
