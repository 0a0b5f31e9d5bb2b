using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// git ksplice setup: opt-in git settings so "git log" shows the ksplice and kstuff notes (notes.displayRef) and the
/// notes follow "git commit --amend" and "git rebase" (notes.rewriteRef). Only adds what is missing; --undo
/// removes exactly what it adds.
/// </summary>
internal static class SetupCommand
{
    private static readonly string[] NotesRefs = [Updates.UpdateStore.NotesRef, Kstuff.Bundles.BundleNote.NotesRef];
    private static readonly ConfigKey[] RefKeys = [GitConfigKeys.NotesDisplayRef, GitConfigKeys.NotesRewriteRef];
    private static readonly ConfigKey[] RewriteCommands = [GitConfigKeys.NotesRewriteAmend, GitConfigKeys.NotesRewriteRebase];

    public static Command Build()
    {
        var global = new Option<bool>("--global") { Description = "Write the user's ~/.gitconfig instead of this repository's config" };
        var undo = new Option<bool>("--undo") { Description = "Remove the notes refs this command added" };
        var quiet = CommonOptions.Quiet();
        var command = new Command("setup",
            "Make git log show the ksplice and kstuff notes and make the notes follow amend and rebase (notes.displayRef, notes.rewriteRef)")
            { global, undo, quiet };
        command.Runs((context, parse) =>
        {
            var output = context.Output;
            var git = context.Git;
            string[] scope = parse.GetValue(global) ? ["--global"] : ["--local"];
            if (!parse.GetValue(global) && git.FindGitDirectory() == null)
                throw GitCli.NotARepository(context.WorkingDirectory, "use --global to set up every repository");
            var changes = parse.GetValue(undo) ? Undo(git, scope) : Apply(git, scope);
            foreach (var change in changes) output.Info(change);
            if (changes.Count == 0) output.Info(parse.GetValue(undo) ? "nothing to undo" : "already set up: git log shows the notes and they follow amend and rebase");
            return ExitCodes.Success;
        });
        return command;
    }

    private static List<string> Apply(GitCli git, string[] scope)
    {
        var changes = new List<string>();
        foreach (var key in RefKeys)
        {
            var present = Values(git, scope, key);
            foreach (var notesRef in NotesRefs.Where(r => !present.Contains(r)))
            {
                git.Run(["config", .. scope, "--add", key.Name, notesRef]);
                changes.Add($"{key} += {notesRef}");
            }
        }
        foreach (var key in RewriteCommands)
        {
            if (Values(git, scope, key) is [.., var last] && IsTrue(last)) continue;
            git.Run(["config", .. scope, key.Name, "true"]);
            changes.Add($"{key} = true");
        }
        return changes;
    }

    private static List<string> Undo(GitCli git, string[] scope)
    {
        var changes = new List<string>();
        foreach (var key in RefKeys)
        {
            var present = Values(git, scope, key);
            foreach (var notesRef in NotesRefs.Where(present.Contains))
            {
                // --fixed-value: the value is a literal, not a regex.
                git.Run(["config", .. scope, "--fixed-value", "--unset-all", key.Name, notesRef]);
                changes.Add($"{key} -= {notesRef}");
            }
        }
        return changes;
    }

    /// <summary>The key's values in the one file <paramref name="scope"/> names: what this command wrote or will write.</summary>
    private static List<string> Values(GitCli git, string[] scope, ConfigKey key)
    {
        // git config exits 1 for a key with no value in that file.
        var result = git.RunAnswering(["config", .. scope, "--get-all", key.Name], answer: 1);
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static bool IsTrue(string value)
    {
        try { return ConfigValues.Bool(value); }
        catch (FormatException) { return false; }
    }
}
