using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;

namespace GitKsplice.Cli.Commands;

/// <summary>git kstuff bundle: kbundle. Builds the bundle of $ROOT/$MACH when missing or stale, and notes it on the commit.</summary>
internal static class BundleCommand
{
    public static Command Build()
    {
        var normal = ManPageOptions.Flag("-B", "Normal bundle build; defeats an earlier -F or -T [default]");
        var force = ManPageOptions.Flag("-F", "Force a rebuild of the bundle (not allowed for a pre-built bundle)");
        var idtools = ManPageOptions.Flag("-T", "Include the idtools (from the tree's etc/conf/bin, else the cross environment's)");
        var quick = ManPageOptions.Flag("-Q", "Do not build: only say whether the bundle is current");
        var database = ManPageOptions.WithArgument("-d", "db.file", "Database of kernels (root:mach:bundle-file:pre_built_flag:comment), repeatable");
        var root = new Option<string?>("--root") { Description = "$ROOT of the cross environment (default $ROOT, then git config kstuff.root)", HelpName = "dir" };
        var mach = new Option<string?>("--mach") { Description = "$MACH of the cross environment (default $MACH, then git config kstuff.mach)", HelpName = "name" };
        var idtoolsDir = new Option<string?>("--idtools") { Description = "The cross environment's idtools for -T (default kstuff.idtools, then $TOOLS/etc/conf/bin)", HelpName = "dir" };
        var commit = new Option<string?>("--commit") { Description = "The commit the tree was built from, which gets the note (default HEAD)", HelpName = "rev" };
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        Option[] manPage = [normal, force, idtools, quick, database];

        var command = new Command("bundle", "Build the bundle of the kernel build tree $ROOT/$MACH (kbundle) and note it in refs/notes/kstuff")
        {
            normal, force, idtools, quick, database, root, mach, idtoolsDir, commit, json, quiet,
        };
        command.Runs((context, parse) =>
        {
            var output = context.Output;
            ManPageOptions.RejectUnknown(parse);
            var settings = new KstuffSettings(context.Config);
            var options = KbundleOptionSources.Resolve(settings, ManPageOptions.Words(parse, manPage));
            var repository = context.Repository;
            var builtFrom = repository.ResolveCommit(parse.GetValue(commit) ?? "HEAD");
            var tree = MachineTree.Resolve(settings, context.WorkingDirectory, parse.GetValue(root), parse.GetValue(mach), parse.GetValue(idtoolsDir));
            var request = new BundleRequest(tree.Root, tree.Mach, options.DatabaseFiles.Select(f => DatabaseFile.Load(context.FullPath(f))).ToList(),
                options.Force, options.Idtools, options.Quick, tree.CrossIdtools, builtFrom.Committer.When)
            { Cancel = context.Cancel };

            var result = BundleBuilder.Build(request, DateTimeOffset.UtcNow);
            if (result.Note != null) new BundleNotes(repository).Record(builtFrom.Sha, result.Note);
            foreach (var warning in result.Warnings) output.Warning(warning);

            if (parse.GetValue(json))
            {
                context.WriteJson(new BundleCommandJson(result.Outcome, result.BundlePath, result.Reason, result.Note != null ? builtFrom.Sha : null,
                    result.DatabaseEntry?.Where, result.Note is { } built ? BundleJson.Of(built) : null), KstuffJsonContext.Relaxed.BundleCommandJson);
            }
            else if (result.Note is { } note)
                output.Info($"bundle {note.Path}: {note.Files} files, {note.Drivers.Count} drivers{(note.Idtools ? ", idtools" : "")}, " +
                    $"{note.Size} bytes, sha256 {note.Sha256[..16]}…; noted on {builtFrom.Sha[..12]}");
            else
                output.Info($"bundle {result.BundlePath}: {result.Reason}");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>bundle --json: what was done and why, the commit noted, the database entry used, and the bundle built.</summary>
internal sealed record BundleCommandJson(BundleOutcome Outcome, string Path, string Reason, string? Commit, string? Database, BundleJson? Bundle);
