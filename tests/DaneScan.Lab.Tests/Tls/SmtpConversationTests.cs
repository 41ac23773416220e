namespace DaneScan.Lab.Tests.Tls;

/// <summary>
/// The SMTP conversation and the quirks, seen by independent clients: openssl s_client for what happens around
/// and after TLS, and bash's /dev/tcp for plaintext timing and size behaviour.
/// </summary>
[Trait("Category", "Integration")]
[Collection(TlsLabCollection.Name)]
public sealed class SmtpConversationTests(TlsLabFixture lab)
{
    private static Task<ExternalTool.Result> Bash(string script, int timeoutSeconds = 30) => ExternalTool.ShellAsync(script, timeoutSeconds);

    private string Connect(string host)
    {
        var spec = lab.Hosts[host];
        return $"exec 3<>/dev/tcp/{spec.Address}/{spec.Port}; ";
    }

    [Fact]
    public async Task After_tls_the_server_answers_a_second_ehlo_without_starttls_refuses_mail_and_says_221_to_quit()
    {
        var spec = lab.Hosts["leaf-int"];
        var result = await ExternalTool.SClientAsync(spec.Address, spec.Port, TlsLabFixture.MxName, ["-nocommands"],
            input: "EHLO client.test\nMAIL FROM:<a@client.test>\nRCPT TO:<b@mx.tls.lab>\nDATA\nSTARTTLS\nQUIT\n");
        // s_client prints only what comes after the handshake (the plaintext EHLO reply is consumed by -starttls).
        var lines = result.StdOut.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        Assert.Contains("250-leaf-int.mx.tls.lab greets client.test", lines);
        Assert.Contains("250 8BITMIME", lines);
        Assert.DoesNotContain("250-STARTTLS", lines);
        Assert.Equal(3, lines.Count(l => l.StartsWith("554 5.7.1", StringComparison.Ordinal))); // MAIL, RCPT, DATA all refused
        Assert.Contains("503 5.5.1 TLS already active", lines);
        Assert.Contains("221 2.0.0 Bye", lines);
    }

    [Fact]
    public async Task Plaintext_ehlo_advertises_pipelining_size_8bitmime_and_starttls_and_quit_gets_221()
    {
        var result = await Bash(Connect("full") +
            "read -t 10 banner <&3; echo \"$banner\"; printf 'EHLO client.test\\r\\nMAIL FROM:<a@client.test>\\r\\nQUIT\\r\\n' >&3; timeout 10 cat <&3");
        var lines = result.StdOut.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        Assert.Equal("220 full.mx.tls.lab ESMTP DaneScan lab", lines[0]);
        Assert.Contains("250-PIPELINING", lines);
        Assert.Contains("250-SIZE 10240000", lines);
        Assert.Contains("250-STARTTLS", lines);
        Assert.Contains("250 8BITMIME", lines);
        Assert.Contains(lines, l => l.StartsWith("554 ", StringComparison.Ordinal));
        Assert.Contains("221 2.0.0 Bye", lines);
    }

    [Fact]
    public async Task Starttls_before_ehlo_is_refused_with_503()
    {
        var result = await Bash(Connect("full") + "read -t 10 banner <&3; printf 'STARTTLS\\r\\nQUIT\\r\\n' >&3; timeout 10 cat <&3");
        Assert.Contains("503 5.5.1 Send EHLO first", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("221 2.0.0 Bye", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Piggybacked_plaintext_arrives_with_the_220_reply_to_starttls_and_the_handshake_still_happens()
    {
        var spec = lab.Hosts["piggyback"];
        var result = await ExternalTool.SClientAsync(spec.Address, spec.Port, TlsLabFixture.MxName, ["-debug"]);
        var transcript = ExternalTool.DebugReads(result.StdOut);
        var ready = transcript.IndexOf("220 2.0.0 Ready to start TLS\r\n", StringComparison.Ordinal);
        Assert.True(ready >= 0, transcript);
        Assert.Contains("220 2.0.0 Ready to start TLS\r\n250 piggybacked", transcript, StringComparison.Ordinal);
        Assert.Contains("s:CN = mx.tls.lab", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slow_banner_host_says_nothing_at_first_then_sends_its_220()
    {
        // bash read: status > 128 is a timeout (connection still open), 1 is end of stream.
        var result = await Bash(Connect("slow") +
            "read -t 1 early <&3; echo \"early=$?\"; read -t 20 banner <&3; echo \"late=$? $banner\"");
        Assert.Contains("early=142", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("late=0 220 slow.mx.tls.lab ESMTP", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silent_host_accepts_the_connection_and_never_speaks()
    {
        var result = await Bash(Connect("silent") + "read -t 3 line <&3; echo \"status=$? line=$line\"");
        Assert.Contains("status=142 line=", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("220", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endless_ehlo_reply_goes_on_past_a_megabyte_without_a_final_line()
    {
        var result = await Bash(Connect("endless") +
            "read -t 10 banner <&3; printf 'EHLO client.test\\r\\n' >&3; timeout 20 head -c 1048576 <&3 > /dev/shm/endless.$$; " +
            "wc -c < /dev/shm/endless.$$; grep -c '^250-' /dev/shm/endless.$$; grep -c '^250 ' /dev/shm/endless.$$; rm -f /dev/shm/endless.$$", 40);
        var numbers = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1048576", numbers[0].Trim());
        Assert.True(int.Parse(numbers[1].Trim(), System.Globalization.CultureInfo.InvariantCulture) > 20000, result.StdOut);
        Assert.Equal("0", numbers[2].Trim());
    }

    [Fact]
    public async Task Oversized_reply_has_a_line_of_a_megabyte_then_ends_normally()
    {
        var result = await Bash(Connect("oversized") +
            "read -t 10 banner <&3; printf 'EHLO client.test\\r\\nQUIT\\r\\n' >&3; timeout 20 cat <&3 > /dev/shm/oversized.$$; " +
            "wc -L < /dev/shm/oversized.$$; grep -a '^250 ' /dev/shm/oversized.$$; grep -a '^221 ' /dev/shm/oversized.$$; rm -f /dev/shm/oversized.$$", 40);
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(long.Parse(lines[0].Trim(), System.Globalization.CultureInfo.InvariantCulture) >= 1024 * 1024 - 2, result.StdOut);
        Assert.StartsWith("250 8BITMIME", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("221 2.0.0 Bye", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_overlong_command_line_gets_500_and_the_connection_is_closed()
    {
        var result = await Bash(Connect("full") +
            "read -t 10 banner <&3; head -c 5000 /dev/zero | tr '\\0' 'A' >&3; timeout 10 cat <&3; echo \"end=$?\"");
        Assert.Contains("500 5.5.2 Line too long", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("end=0", result.StdOut, StringComparison.Ordinal); // cat ended: the server closed, no timeout
    }

    [Fact]
    public async Task Too_many_commands_get_421_and_the_connection_is_closed()
    {
        var result = await Bash(Connect("full") +
            "read -t 10 banner <&3; for i in $(seq 1 150); do printf 'NOOP\\r\\n'; done >&3; timeout 10 cat <&3; echo \"end=$?\"");
        Assert.Equal(100, result.StdOut.Split("250 2.0.0 OK").Length - 1);
        Assert.Contains("421 4.7.0 Too many commands", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("end=0", result.StdOut, StringComparison.Ordinal);
    }
}
