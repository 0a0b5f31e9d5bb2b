using System.Globalization;
using System.Text;

namespace GitKsplice.Vm;

/// <summary>
/// The guest's /init: a busybox shell script that sets up /proc, /sys and the console, runs the caller's
/// script and powers the guest off. Each step's output reaches the host on the serial console as marked
/// lines ("@@ksplice out …" between a begin and an end line with the exit status and the guest's uptime),
/// so it can be told apart from kernel messages and from the steps around it.
/// </summary>
public sealed class GuestScript
{
    public const string Marker = "@@ksplice";
    public const string DoneMarker = Marker + " done";
    private readonly StringBuilder _body = new();

    /// <summary>A line of shell, as it is.</summary>
    public GuestScript Line(string shell)
    {
        _body.Append(shell).Append('\n');
        return this;
    }

    /// <summary>The shell command that runs <paramref name="body"/> as a marked step and returns its status.</summary>
    public static string Step(string name, string body)
    {
        // The name travels in a space-separated marker line.
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ','))
            throw new ArgumentException($"bad step name '{name}'", nameof(name));
        return $"step {name} {Quote(body)}";
    }

    /// <summary>A word the shell reads back as exactly <paramref name="text"/>.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";

    /// <summary>The shell functions every guest script starts with: `step NAME BODY` runs BODY as a marked step.</summary>
    public const string Functions = $$"""
        uptime_now() { cut -d' ' -f1 /proc/uptime; }
        step() {
            echo "{{Marker}} begin $1 $(uptime_now)"
            out=$(mktemp)
            ( eval "$2" ) >"$out" 2>&1 </dev/null
            status=$?
            awk '{ print "{{Marker}} out " $0 }' "$out"
            rm -f "$out"
            echo "{{Marker}} end $1 $status $(uptime_now)"
            return $status
        }
        """;

    public string Render() => $$"""
        #!/bin/busybox sh
        /bin/busybox mount -t devtmpfs devtmpfs /dev
        exec </dev/console >/dev/console 2>&1
        /bin/busybox --install -s /bin
        export PATH=/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        # Kernel messages from here on are read with dmesg by the steps, not interleaved with their output.
        dmesg -n 1
        {{Functions}}
        {{_body}}
        echo "{{DoneMarker}}"
        reboot -f
        """ + "\n";
}

/// <summary>One step of a guest script as the serial console showed it.</summary>
public sealed record GuestStep(string Name, int ExitCode, IReadOnlyList<string> Output, double Started, double Ended)
{
    public bool Succeeded => ExitCode == 0;
    public double Seconds => Ended - Started;
}

/// <summary>The steps read back from a guest's serial console, and whether the script ran to its end.</summary>
public sealed class GuestTranscript
{
    private readonly List<GuestStep> _steps = [];
    private string? _open;
    private double _openStarted;
    private List<string> _output = [];

    public IReadOnlyList<GuestStep> Steps => _steps;
    public bool Completed { get; private set; }
    /// <summary>The step that began and never ended (the guest died or hung in it), if any.</summary>
    public string? Unfinished => _open;

    public GuestStep? Find(string name) => _steps.LastOrDefault(s => s.Name == name);

    public static GuestTranscript Parse(IEnumerable<string> lines)
    {
        var transcript = new GuestTranscript();
        foreach (var line in lines) transcript.Add(line);
        return transcript;
    }

    /// <summary>Takes one serial line; returns the step it begins, if it begins one (for progress).</summary>
    public string? Add(string line)
    {
        line = line.TrimEnd('\r');
        if (!line.StartsWith(GuestScript.Marker + " ", StringComparison.Ordinal)) return null;
        var rest = line[(GuestScript.Marker.Length + 1)..];
        if (rest.StartsWith("out ", StringComparison.Ordinal) || rest == "out")
        {
            if (_open != null) _output.Add(rest.Length > 4 ? rest[4..] : "");
            return null;
        }
        if (line == GuestScript.DoneMarker) { Completed = true; return null; }
        var words = rest.Split(' ');
        if (words is ["begin", var name, var started])
        {
            (_open, _openStarted, _output) = (name, Seconds(started), []);
            return name;
        }
        if (words is ["end", var ended, var status, var at] && ended == _open && int.TryParse(status, out var code))
        {
            _steps.Add(new GuestStep(ended, code, _output, _openStarted, Seconds(at)));
            _open = null;
        }
        return null;
    }

    private static double Seconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : double.NaN;
}
