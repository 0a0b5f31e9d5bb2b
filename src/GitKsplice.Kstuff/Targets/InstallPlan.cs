using System.Text;
using GitKsplice.Processes;
using GitKsplice.Transport;

namespace GitKsplice.Kstuff.Targets;

/// <summary>One change to the target: a shell block that makes it and one that takes it back.</summary>
/// <remarks>
/// Both blocks see the plan's variables and $W, the undo directory. A do block runs under "set -e" and
/// leaves flag files in $W for what it finished, so its undo block can take back a step that stopped
/// half-way as well as a finished one.
/// </remarks>
public sealed record PlanStep(string Name, string Do, string Undo);

/// <summary>
/// A sequence of reversible steps run on the target as one script: if a step fails, it and every step
/// before it are undone in reverse order and the target is as it was. The script ignores hang-ups, so a
/// dropped connection cannot stop it half-way, and logs to a file the client can read afterwards.
/// </summary>
public sealed class InstallPlan
{
    private readonly List<(string Name, string Value)> _variables = [];
    private readonly List<PlanStep> _steps = [];

    public const string SuccessLine = "kstuff: installed";
    public const string UndoneLine = "kstuff: undone";

    public IReadOnlyList<PlanStep> Steps => _steps;

    /// <summary>A shell variable for the steps, passed as an argument (never spliced into the script).</summary>
    public InstallPlan Variable(string name, string value)
    {
        if (!name.All(c => c is >= 'A' and <= 'Z' or '_')) throw new ArgumentException("plan variables are upper case", nameof(name));
        _variables.Add((name, value));
        return this;
    }

    public InstallPlan Step(string name, string doBlock, string undoBlock)
    {
        _steps.Add(new PlanStep(name, doBlock, undoBlock));
        return this;
    }

    /// <summary>Runs after every step succeeded, before the undo data goes (removing what was set aside).</summary>
    public string Commit { get; set; } = "";

    /// <summary>The script and its arguments. <paramref name="undoDir"/> and <paramref name="log"/> are target paths.</summary>
    /// <param name="failAfter">For tests of the undo path: fail right after this many steps succeeded.</param>
    public (string Script, IReadOnlyList<string> Args) Render(string undoDir, string log, int? failAfter = null)
    {
        var s = new StringBuilder();
        s.Append("""
            LC_ALL=C; export LC_ALL
            trap '' HUP PIPE
            W=$1; LOG=$2; shift 2

            """);
        var args = new List<string> { undoDir, log };
        foreach (var (name, value) in _variables)
        {
            s.Append(name).Append("=$1; shift\n");
            args.Add(value);
        }
        s.Append("""
            : > "$LOG" 2>/dev/null
            say() { echo "$*"; echo "$*" >> "$LOG" 2>/dev/null; }
            done=0
            undo() {
              case $1 in

            """);
        for (var i = 0; i < _steps.Count; i++)
            s.Append($"  {i + 1}) {Indent(_steps[i].Undo)}\n  ;;\n");
        s.Append("""
              esac
            }
            rollback() {
              while [ "$done" -gt 0 ]; do
                ( undo "$done" ) >> "$LOG" 2>&1
                if [ $? -ne 0 ]; then say "kstuff: could not undo step $done; what it set aside is in $W"; keep=1; fi
                done=$((done - 1))
              done
              [ -n "$keep" ] || rm -rf "$W"
              say "kstuff: undone"
            }
            fail() {
              say "kstuff: step failed: $1"
              rollback
              exit 1
            }
            keep=
            rm -rf "$W" && mkdir -p "$W" || { say "kstuff: cannot create $W"; exit 1; }

            """);
        for (var i = 0; i < _steps.Count; i++)
        {
            var n = i + 1;
            s.Append($"say {PosixShell.Quote($"kstuff: step {n}/{_steps.Count}: {_steps[i].Name}")}\n");
            // The step counts as begun before it runs, so a half-done step is undone too.
            s.Append($"done={n}\n");
            // Not inside "if": there sh would ignore set -e.
            s.Append($"( set -e\n{_steps[i].Do}\n) > \"$W/step.out\" 2>&1\n");
            s.Append("rc=$?; cat \"$W/step.out\" >> \"$LOG\" 2>/dev/null\n");
            s.Append($"if [ $rc -ne 0 ]; then cat \"$W/step.out\" >&2; fail {PosixShell.Quote(_steps[i].Name)}; fi\n");
            if (failAfter == n)
                s.Append($"fail {PosixShell.Quote("injected failure after " + _steps[i].Name)}\n");
        }
        s.Append("( set -e\n:\n").Append(Commit).Append("\n) >> \"$LOG\" 2>&1\n[ $? -eq 0 ] || say \"kstuff: warning: could not remove what was set aside\"\n");
        s.Append("rm -rf \"$W\"\nsay \"").Append(SuccessLine).Append("\"\n");
        return (s.ToString(), args);
    }

    private static string Indent(string block) => block.Replace("\n", "\n    ");
}
