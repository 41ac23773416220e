using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace DaneScan.Lab.Dns;

/// <summary>The parts of a DNS reply the lab's own checks look at.</summary>
/// <param name="Rcode">The response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...).</param>
/// <param name="Authenticated">The AD bit.</param>
/// <param name="Authoritative">The AA bit.</param>
/// <param name="AnswerCount">Records in the answer section.</param>
/// <param name="ExtendedDnsError">The first RFC 8914 info code, if any.</param>
public sealed record LabDnsReply(int Rcode, bool Authenticated, bool Authoritative, int AnswerCount, int? ExtendedDnsError);

/// <summary>
/// A minimal DNS client over UDP used for the lab's readiness and self-checks (not the scanner's resolver
/// adapter): one question, EDNS0 with the DO bit, header flags and the first EDE parsed from the reply.
/// </summary>
public static class LabDnsQuery
{
    public const ushort TypeA = 1;
    public const ushort TypeNs = 2;
    public const ushort TypeSoa = 6;
    public const ushort TypeMx = 15;
    public const ushort TypeTxt = 16;
    public const ushort TypeTlsa = 52;

    /// <summary>Sends one query; returns null when no reply came within the timeout.</summary>
    public static async Task<LabDnsReply?> QueryAsync(
        IPEndPoint server, string name, ushort type, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        var id = (ushort)Random.Shared.Next(ushort.MaxValue);
        var query = BuildQuery(id, name, type);
        using var socket = new UdpClient(server.AddressFamily);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.SendAsync(query, server, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                var received = await socket.ReceiveAsync(deadline.Token).ConfigureAwait(false);
                var reply = Parse(received.Buffer, id);
                if (reply is not null)
                {
                    return reply;
                }
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

    private static byte[] BuildQuery(ushort id, string name, ushort type)
    {
        var buffer = new List<byte>(64);
        void U16(int v)
        {
            buffer.Add((byte)(v >> 8));
            buffer.Add((byte)v);
        }

        U16(id);
        U16(0x0100); // RD
        U16(1);
        U16(0);
        U16(0);
        U16(1);
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            buffer.Add((byte)label.Length);
            buffer.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        buffer.Add(0);
        U16(type);
        U16(1);

        // OPT: root owner, type 41, UDP size 1232, extended rcode 0, version 0, DO bit, no options.
        buffer.Add(0);
        U16(41);
        U16(1232);
        buffer.Add(0);
        buffer.Add(0);
        U16(0x8000);
        U16(0);
        return [.. buffer];
    }

    private static LabDnsReply? Parse(byte[] m, ushort id)
    {
        if (m.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(m) != id)
        {
            return null;
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(2));
        var qd = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(4));
        var an = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(6));
        var ns = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(8));
        var ar = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(10));
        int? ede = null;
        var extendedRcode = 0;
        try
        {
            var p = 12;
            for (var i = 0; i < qd; i++)
            {
                p = SkipName(m, p) + 4;
            }

            for (var i = 0; i < an + ns + ar; i++)
            {
                p = SkipName(m, p);
                var type = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p));
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(p + 4));
                var rdlength = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p + 8));
                var rdata = p + 10;
                if (type == 41)
                {
                    extendedRcode = (int)(ttl >> 24);
                    var o = rdata;
                    while (o + 4 <= rdata + rdlength)
                    {
                        var code = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(o));
                        var len = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(o + 2));
                        if (code == 15 && len >= 2 && ede is null)
                        {
                            ede = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(o + 4));
                        }

                        o += 4 + len;
                    }
                }

                p = rdata + rdlength;
            }
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            // A truncated reply: keep what the header says.
        }

        return new LabDnsReply((extendedRcode << 4) | (flags & 0xF), (flags & 0x20) != 0, (flags & 0x400) != 0, an, ede);
    }

    private static int SkipName(byte[] m, int p)
    {
        while (true)
        {
            var len = m[p];
            if (len == 0)
            {
                return p + 1;
            }

            if ((len & 0xC0) == 0xC0)
            {
                return p + 2;
            }

            p += len + 1;
        }
    }
}
