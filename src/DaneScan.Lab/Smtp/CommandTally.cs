namespace DaneScan.Lab.Smtp;

/// <summary>
/// How many times each SMTP command reached the lab's servers, over all hosts and connections: lets a test or
/// the lab's log show that a scanner sent EHLO, STARTTLS and QUIT, and never MAIL, RCPT or DATA.
/// </summary>
public sealed class CommandTally
{
    /// <summary>The verbs counted by name; anything else counts as "OTHER".</summary>
    public static IReadOnlyList<string> Verbs { get; } =
        ["EHLO", "HELO", "STARTTLS", "NOOP", "RSET", "QUIT", "MAIL", "RCPT", "DATA", "BDAT", "VRFY", "EXPN", "OTHER"];

    private readonly long[] _counts = new long[Verbs.Count];

    /// <summary>The count for a verb (case-insensitive); 0 for verbs never seen.</summary>
    public long this[string verb]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(verb);
            var index = IndexOf(verb.ToUpperInvariant());
            return index < 0 ? 0 : Interlocked.Read(ref _counts[index]);
        }
    }

    /// <summary>"EHLO=3 STARTTLS=2 QUIT=2 MAIL=0 ...": every verb, in <see cref="Verbs"/> order.</summary>
    public override string ToString() =>
        string.Join(' ', Verbs.Select((v, i) => $"{v}={Interlocked.Read(ref _counts[i])}"));

    internal void Count(string upperVerb)
    {
        var index = IndexOf(upperVerb);
        Interlocked.Increment(ref _counts[index < 0 ? Verbs.Count - 1 : index]);
    }

    private static int IndexOf(string upperVerb)
    {
        for (var i = 0; i < Verbs.Count - 1; i++)
        {
            if (Verbs[i] == upperVerb)
            {
                return i;
            }
        }

        return upperVerb == "OTHER" ? Verbs.Count - 1 : -1;
    }
}
