using GitKsplice.Git;
using GitKsplice.Settings;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>The prose of git-ksplice(1) that the command tree cannot say; options and commands come from the tree.</summary>
internal static class KspliceManual
{
    public static ToolDescription Tool { get; } = new()
    {
        Name = "git-ksplice",
        ConfigPrefix = "ksplice",
        ConfigKeys = KspliceConfigKeys.All,
        ColourKey = KspliceConfigKeys.ColorKsplice,
        Description = $"""
            git ksplice builds rebootless (hot) updates of a kernel, or of any C tree built with make, from git commits, after ksplice-create(8). The change is the difference between {SeriesRefs.PreRef}, the source of the running kernel, and a commit, a range, a patch file or files with an extra extension.

            Builds never happen in your working tree: the original (pre) and patched (post) trees live under the git directory, and your working tree, index and HEAD are left as they are. The post build is incremental, so after a prebuild an update costs about as much as make does for the same change.

            Each update is written as ksplice-ID.tar.gz in the current directory (the source change, a manifest.json, the pre and post versions of every changed object), noted in {UpdateStore.NotesRef} on its post commit and kept reachable by {UpdateStore.RefPrefix}ID. Every move of {SeriesRefs.PreRef} is in its reflog with a reason (git ksplice series log).
            """,
        CommandNotes = new Dictionary<string, string>
        {
            ["create"] = $"""
                The change is one of: a commit (the change from {SeriesRefs.PreRef} to it, the seed's --git=COMMIT), a range A..B (the change from A to B), --patch FILE (applied on top of {SeriesRefs.PreRef}) or --diffext EXT (every tracked file F with a sibling F+EXT). {SeriesRefs.PreRef} is created from HEAD when it is absent.

                Objects are compiled with -ffunction-sections -fdata-sections (through KCFLAGS in a Kbuild tree, through the compiler in a plain Makefile tree) without editing your Makefile. The objects whose bytes differ are compared function by function; changes the analysis finds unsafe stop the update unless --force is given. The same inputs and the same --id give a byte-identical tarball.

                Examples:

                  git ksplice create --prebuild
                  git ksplice create HEAD
                  git ksplice create --series --id fix1 v6.1.1..fix-branch
                  git ksplice create --patch ../cve.patch --patch-opt -p1
                """,
            ["series"] = $"""
                {SeriesRefs.PreRef} stands for the source of the running kernel. After an update is applied, advance the series to it so the next update is built on top; set moves it to any commit (after a reboot into a new kernel, for example).
                """,
            ["gc"] = $"""
                Removes what git ksplice keeps under $GIT_COMMON_DIR/ksplice and no longer needs: the build tree when unused for longer than the max age (never the snapshot of the current {SeriesRefs.PreRef}'s outputs, and nothing of the build while a build holds the build lock), trees a build never finished setting up, build logs, the manifests of updates and the hook's per-commit runs older than that. The refs and notes that record updates are never touched, so shipped updates stay recorded and git ksplice show still describes them from their notes. git ksplice status shows how much disk each part uses.
                """,
            ["hooks"] = """
                install writes post-commit, post-merge and post-rewrite hooks into the directory git runs hooks from (core.hooksPath when set, else the common git directory's hooks, shared by all worktrees). A hook already there is renamed NAME.ksplice-chained and still runs first with the same arguments and stdin; its exit status is the hook's. uninstall renames it back, byte for byte; a hook put in place of ours is left alone. A bare repository is refused. Without a subcommand, or with status, shows each hook's state.

                After each commit, merge or rewrite the hooks check, in a job detached from git, that the change from refs/ksplice/pre to the new HEAD still makes a hot update, and record the verdict (hot-patchable, unsafe, no-code-change or build-failed) as a ksplice-verdict record in the commit's note. One job runs at a time; a newer commit replaces one still waiting. See ksplice.hook.mode and git ksplice status.
                """,
            ["hook"] = "Plumbing, run by the installed hook scripts: queues HEAD and checks it as ksplice.hook.mode says. It never fails the git command that ran it; problems go to the job's log and to git ksplice status.",
            ["status"] = "Shows the hook's running job (commit, stage, elapsed time, pid, log), the commit waiting in the queue, how the last job ended (a verdict, skipped, error, interrupted, or killed when the job died), the last verdicts and where the logs are. --json prints the same with stable keys.",
            ["diff-objects"] = """
                Plumbing: the exit code is the verdict (0 hot-patchable, 2 unsafe, 3 no code change), and --json prints the classification with stable camelCase keys (original, patched, verdict: hot-patchable, unsafe or no-code-change, changed, new, removed, unsafe, lineOnly, carried, functionCount, details). /dev/null stands for an object the change added or removed. Without --json each line is a status (changed, new, removed, line-only, unsafe), a symbol and, after a tab, why.

                Both objects must be relocatable ELF objects of one machine built with -ffunction-sections -fdata-sections. Functions are matched by name, ignoring gcc's numbered suffixes (.isra.N, .constprop.N, .part.N, .cold), and static variables by the function that uses them; a string literal is compared by its text. Sections the kernel build regenerates or that list call sites (__mcount_loc, __patchable_function_entries, __bug_table, __ex_table, .altinstructions, __jump_table and the like) are not compared. A function whose only difference is the __LINE__ it passes to a WARN, BUG, might_sleep or printk-style call is a line-only change, not a functional one. Unsafe kinds: data-changed, data-size-changed, section-changed, symbol-type-changed, symbol-binding-changed, init-changed, static-local-reference-removed.
                """,
            ["setup"] = """
                Adds refs/notes/ksplice and refs/notes/kstuff to notes.displayRef (so git log shows the update and bundle notes next to each commit) and to notes.rewriteRef with notes.rewrite.amend and notes.rewrite.rebase set to true (so the notes follow a commit that is amended or rebased). It only adds what is missing, and --undo removes the refs again. Without it, git log --notes=ksplice shows the notes for one command.
                """,
        },
        ExtraSections =
        [
            ("ENVIRONMENT", """
                CONCURRENCY_LEVEL: parallel build jobs when --jobs does not say; it wins over ksplice.jobs.

                KCFLAGS: extra flags for a Kbuild tree; the function and data section flags are added to them.

                ICECC_SCHEDULER: the icecream scheduler (host or host:port) whose farm's job slots are the default jobs when icecc is the compiler launcher; without it, the number of CPUs.

                NO_COLOR: when set and not empty, no colour.

                GIT_KSPLICE_TRACE: when set, an unexpected error prints its stack trace.
                """),
            ("FILES", """
                $GIT_DIR/ksplice/: the pre and post build trees, their build logs and the state lock.

                $GIT_DIR/ksplice/hook/: the hook's job lock, queue and state; per checked commit, COMMIT/log and COMMIT/manifest.json.

                ksplice-ID.tar.gz: an update, written in the current directory.
                """),
            ("REFS AND NOTES", $"""
                {SeriesRefs.PreRef}: the source of the running kernel; its reflog records every move.

                {UpdateStore.RefPrefix}ID: the post commit of each update, so git gc keeps it.

                {UpdateStore.NotesRef}: one note per update on its post commit, key: value lines (git log --notes=ksplice). The hooks add a ksplice-verdict record to the note of each commit they check.
                """),
        ],
        SeeAlso = ["git-kstuff(1)", "git-notes(1)", "git-config(1)", "ksplice-create(8)"],
    };
}
