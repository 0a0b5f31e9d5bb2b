namespace GitKsplice.Hooks;

/// <summary>
/// The hook script git-ksplice installs (the same text for every hook: it takes its name from $0) and
/// ships in hooks/. The commit must not notice it: the script reads one setting and starts the job
/// detached with the shell's own '&amp;', so `git commit` never waits for the .NET runtime to start.
/// A hook that was there before is moved beside it as &lt;name&gt;.ksplice-chained and still runs first,
/// with the same arguments and stdin; its exit status is the script's exit status.
/// </summary>
public static class HookScript
{
    /// <summary>The hooks git-ksplice installs: after commits, merges (pulls) and history rewrites (amend, rebase).</summary>
    public static readonly IReadOnlyList<string> Names = ["post-commit", "post-merge", "post-rewrite"];

    /// <summary>The line that marks a hook file as ours.</summary>
    public const string Marker = "# git-ksplice-hook v1";

    public const string ChainedSuffix = ".ksplice-chained";

    /// <summary>
    /// Starts `git ksplice hook --detached $hook "$@"` detached: its own session, no terminal, no pipe shared
    /// with the caller, so git (or the hook command run in sync mode by hand) never waits for it. The script
    /// runs it in the background mode; so does `git ksplice hook` when the hook was not installed by us.
    /// </summary>
    public static string Detach { get; } = """
        if command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=nohup; fi
        $detach git ksplice hook --detached "$hook" "$@" </dev/null >/dev/null 2>&1 &
        """.Replace("\r", "");

    public static string Text { get; } = $$"""
        #!/bin/sh
        # git-ksplice: after each commit, merge or rewrite, checks in the background that the change since
        # refs/ksplice/pre still makes a hot update; the verdict goes to refs/notes/ksplice ('git ksplice status').
        # git config ksplice.hook.mode: background (default) | sync | off. Undo: git ksplice hooks uninstall.
        # git-ksplice-hook v1
        status=0
        if [ -x "$0.ksplice-chained" ]; then
        	"$0.ksplice-chained" "$@" || status=$?
        fi
        hook=${0##*/}
        case $(git config --get ksplice.hook.mode) in
        off) ;;
        sync) git ksplice hook "$hook" "$@" </dev/null || : ;;
        *)
        {{Indented(Detach)}}
        	;;
        esac
        exit $status

        """.Replace("\r", "");

    private static string Indented(string lines) => "\t" + lines.Replace("\n", "\n\t");

    public static bool IsOurs(string content) => content.Contains(Marker, StringComparison.Ordinal);
}
