using System.Text;

namespace DaneScan.Smtp;

/// <summary>
/// Every command the prober can send. There is deliberately no MAIL, RCPT or DATA: the scanner never
/// sends mail, and the only way to write to the server goes through this enum.
/// </summary>
public enum SmtpCommand
{
    Ehlo,
    StartTls,
    Quit,
}

internal static class SmtpCommandText
{
    /// <summary>The wire bytes of a command, CRLF included. The EHLO identity was validated as an LDH host name.</summary>
    public static byte[] Encode(SmtpCommand command, string ehloIdentity) => command switch
    {
        SmtpCommand.Ehlo => Encoding.ASCII.GetBytes("EHLO " + ehloIdentity + "\r\n"),
        SmtpCommand.StartTls => "STARTTLS\r\n"u8.ToArray(),
        SmtpCommand.Quit => "QUIT\r\n"u8.ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not a command the prober may send."),
    };
}
