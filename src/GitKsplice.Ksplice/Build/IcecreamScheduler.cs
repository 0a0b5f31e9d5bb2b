using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace GitKsplice.Build;

/// <summary>
/// The job slots an icecream farm offers. icecc has no query of its own (distcc has `distcc -j`); its scheduler's
/// control interface does: a line protocol on the scheduler's port + 1 (TCP 8766 for the default 8765, as
/// icecream(7) lists) whose `listcs` names every daemon with its running and maximum jobs. The scheduler is the
/// one $ICECC_SCHEDULER names (host or host:port), icecream's own variable for telling its tools where it is;
/// without it the scheduler is found by broadcast, which a build tool does not send.
/// </summary>
public static partial class IcecreamScheduler
{
    public const string Variable = "ICECC_SCHEDULER";
    private const int DefaultPort = 8765;

    /// <summary>How long the whole query may take: a scheduler answers in milliseconds, and a create must stay interruptible.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The sum of the maximum jobs of the farm's daemons of this machine's platform; null, with a warning, when the
    /// scheduler does not answer or lists none.
    /// </summary>
    public static int? Slots(string scheduler, Action<string> warn)
    {
        var (host, port) = Address(scheduler);
        try
        {
            var hosts = ListHosts(host, port + 1);
            var platform = Platform();
            var slots = hosts.Where(h => platform == null || h.Platform == platform).Sum(h => h.MaxJobs);
            if (slots > 0) return slots;
            warn($"the icecream scheduler {scheduler} (${Variable}) lists no daemon for {platform ?? "this machine"}; jobs: this machine's CPUs");
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or OperationCanceledException)
        {
            warn($"the icecream scheduler {scheduler} (${Variable}) did not list its daemons on port {port + 1}: {e.Message}; jobs: this machine's CPUs");
        }
        return null;
    }

    /// <summary>host, or host:port (the scheduler's own port; its control interface is on the next one).</summary>
    private static (string Host, int Port) Address(string scheduler) =>
        scheduler.Split(':') is [var host, var port] && int.TryParse(port, out var number) && number is > 0 and < 65535
            ? (host, number) : (scheduler, DefaultPort);

    private sealed record Daemon(string Platform, int MaxJobs);

    /// <summary>The daemons `listcs` reports, each line " name (address:port) [platform] speed=… jobs=running/max load=…".</summary>
    private static List<Daemon> ListHosts(string host, int port)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        using var client = new TcpClient();
        client.ConnectAsync(host, port, deadline.Token).AsTask().GetAwaiter().GetResult();
        using var stream = client.GetStream();
        var reader = new StreamReader(stream);
        var writer = new StreamWriter(stream) { NewLine = "\n", AutoFlush = true };
        string ReadLine() => reader.ReadLineAsync(deadline.Token).AsTask().GetAwaiter().GetResult()
            ?? throw new IOException("the scheduler closed the connection");
        // A reply is lines "200-…" ending with one "200 …".
        while (!ReadLine().StartsWith("200 ", StringComparison.Ordinal)) { }
        writer.WriteLine("listcs");
        var daemons = new List<Daemon>();
        for (var line = ReadLine(); !line.StartsWith("200 ", StringComparison.Ordinal); line = ReadLine())
            if (DaemonLine().Match(line) is { Success: true } m)
                daemons.Add(new Daemon(m.Groups["platform"].Value, int.Parse(m.Groups["max"].Value, System.Globalization.CultureInfo.InvariantCulture)));
        writer.WriteLine("quit");
        return daemons;
    }

    [GeneratedRegex(@"\[(?<platform>[^\]]*)\] .*\bjobs=\d+/(?<max>\d+)")]
    private static partial Regex DaemonLine();

    /// <summary>This machine's platform as icecream names it (uname's machine); null: not known here, every daemon counts.</summary>
    private static string? Platform() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        _ => null,
    };
}
