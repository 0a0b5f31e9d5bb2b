using System.CommandLine;
using System.Runtime.InteropServices;
using GitKsplice.Git;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Delivery;
using GitKsplice.Kstuff.Options;
using GitKsplice.Kstuff.Targets;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// git kstuff [options] [host[:kname]]: kstuff(1) itself. The man page's options are read in order from the
/// rc files, git config kstuff.options and the command line, so the root command takes its words as they come.
/// </summary>
internal static class DeliverCommand
{
    private const string Help = """
        git kstuff: deliver a kernel build to a target host and merge its configuration, after kstuff(1)

        usage: git kstuff [-BFIKMQRSTbiqv#] [-c command] [-d db.file]... [-n driver]... [-N driver]...
                          [-Y driver]... [-r rename.file] [-t kname] [--target-root dir] [host[:kname]]
               git kstuff <subcommand> ...

          host[:kname]   the target, reached with ssh (git config kstuff.sshCommand); [v6addr][:kname] for IPv6;
                         local:DIR[:kname] (or --target-root DIR alone) for a directory here (an image, a chroot)
          kname          installs /stand/<kname> and /etc/conf.<kname> (default unix.<login>); "unix" rotates
                         /etc/conf and /stand/unix as the man page says, each step undone if a later one fails
          -B  normal idbuild [default]        -F  rebuild the bundle          -T  idtools in the bundle
          -I  idbuild and install only        -M  merge only, no idbuild      -Q  send changed Driver.o, idbuild -KQ (-b only)
          -K  idbuild keeps its temporaries   -S  static kernel               -#  idbuild debugging
          -b  batch ($ROOT/$MACH)             -i  interactive menu [default]  -q  quiet   -v  verbose [default]
          -c command   run "command <target-tree> <source-tree>" on the target after the merge, before the build
          -d db.file   database of kernels (root:mach:bundle-file:pre_built_flag:comment)
          -n/-Y/-N drv stuff a source-only driver (as is / configured in / stubbed out); -R drops -n -N -Y -c -r
          -r file      driver rename map ("source-name target-name" lines);  -t kname  merge with /etc/conf.<kname>
          --target-root dir   the target's root directory (on the host; a local target without one)

        Options are read from /etc/kstuff.rc, /int/bin/.kstuff.rc, $HOME/.kstuff.rc, git config kstuff.options,
        then the command line; the last one wins. Subcommands: bundle, bundles, merge, log.
        """;

    /// <summary>
    /// Gives the root command the delivery's help text and action. The command tree states the options in its
    /// usage block and takes unmatched words (which the manual and the completions read); argv that is a
    /// delivery does not go through the tree at all (see <see cref="IsDelivery"/>).
    /// </summary>
    public static void Configure(RootCommand root)
    {
        root.Description = Help;
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction(parse => Run(parse.UnmatchedTokens));
    }

    /// <summary>
    /// Whether argv is a delivery: anything but a subcommand or a help request. The words then go to the
    /// man page's getopt-style parser untouched ("--" included), never through System.CommandLine.
    /// </summary>
    public static bool IsDelivery(RootCommand root, string[] args) =>
        args.Length == 0 || !(root.Subcommands.Any(c => c.Name == args[0]) || args[0] is "-h" or "--help" or "-?" or "--version"
            || args[0] is CommandLineRunner.CompleteCommand or CommandLineRunner.ManualCommand);

    public static int Run(IReadOnlyList<string> words)
    {
        var output = ToolOutput.Standard;
        return output.Run(() =>
        {
            var cwd = Environment.CurrentDirectory;
            var settings = KstuffSettings.Load(cwd);
            var options = OptionSources.Resolve(settings, words);
            output.Quiet = options.Quiet;
            var mode = KstuffDelivery.ModeOf(options);
            if (mode == DeliveryMode.Quick && !options.Batch)
                throw new UserError("-Q can only be used in batch mode (-b)", ExitCodes.Usage);

            using var repository = KspliceRepository.Discover(cwd, settings.Config);
            var databases = options.DatabaseFiles.Select(DatabaseFile.Load).ToList();
            var menu = new KernelMenu(Console.In, Console.Error);
            var choice = options.Batch ? BatchChoice(repository) : menu.Choose(Choices(databases));
            var operand = options.TargetOperand;
            // Interactive mode asks for the host (--target-root then applies on it); batch mode with
            // --target-root alone delivers into that local directory.
            if (operand == null && !options.Batch) operand = menu.AskTarget();
            if (operand == null && options.TargetRoot == null)
                throw new UserError("no target: give host[:kname], local:DIR or --target-root DIR", ExitCodes.Usage);
            var address = TargetAddress.Parse(operand, options.TargetRoot);
            var layout = new TargetLayout(address.Kname ?? TargetLayout.DefaultKname(TargetLayout.Login()), options.TargetKernel);
            var commands = mode == DeliveryMode.BuildOnly ? [] : options.Commands.Select(c => CommandFile.Resolve(c, cwd)).ToList();
            var renames = options.RenameFile == null ? null : RenameMap.Load(options.RenameFile);

            var head = repository.ResolveCommit("HEAD");
            var tree = BuildTreeSettings.Resolve(repository, choice.Root, choice.Mach, null);
            var request = new BundleRequest(tree.Root, tree.Mach, databases, options.ForceBundle, options.Idtools,
                CheckOnly: false, tree.CrossIdtools, head.Committer.When);
            var work = Path.Combine(repository.CommonDir, "kstuff", $"deliver-{Environment.ProcessId}");
            var bundlePath = BundleBuilder.Locate(request).Path;
            string? noteCommit = null;
            var input = new DeliveryInput(CommandFiles: commands, Renames: renames);
            switch (mode)
            {
                case DeliveryMode.Quick:
                    var noted = QuickChanges.FindNote(repository, bundlePath);
                    noteCommit = noted.Commit;
                    var (changed, added) = QuickChanges.Changed(bundlePath, request.BuildTree);
                    foreach (var driver in added)
                        output.Warning($"driver {driver} is not in the bundle: -Q sends no configuration, so deliver without -Q to add it");
                    input = input with { QuickFiles = changed };
                    break;
                case DeliveryMode.BuildOnly:
                    break;
                default:
                    var built = BundleBuilder.Build(request, DateTimeOffset.UtcNow);
                    bundlePath = built.BundlePath;
                    if (built.Note != null)
                    {
                        new BundleNotes(repository).Record(head.Sha, built.Note);
                        noteCommit = head.Sha;
                        output.Info($"Bundle {built.BundlePath}: built ({built.Reason}), {Progress.Size(built.Note.Size)}, {built.Note.Drivers.Count} drivers");
                    }
                    else output.Info($"Bundle {built.BundlePath}: {built.Reason}");
                    input = input with { Source = () => LoadBundle(bundlePath, Path.Combine(work, "bundle")) };
                    break;
            }
            noteCommit ??= new BundleNotes(repository).All().LastOrDefault(b => b.Note.Path == bundlePath)?.Commit ?? head.Sha;

            using var target = Target.Open(address, settings.SshCommand, multiplex: settings.SshMultiplex);
            // ^C stops the running step and cleans up on the target (the stage and the lock) before exiting.
            using var interrupt = new CancellationTokenSource();
            void Cancel(PosixSignalContext context) { context.Cancel = true; interrupt.Cancel(); }
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
            target.Interrupt = interrupt.Token;
            var delivery = new KstuffDelivery(options, settings, output, work);
            var notes = new DeliveryNotes(repository);
            var recordedBundle = File.Exists(bundlePath) ? bundlePath : null;
            try
            {
                Directory.CreateDirectory(work);
                var record = delivery.Deliver(target, layout, input);
                notes.Record(noteCommit, recordedBundle, record);
                return ExitCodes.Success;
            }
            catch (OperationCanceledException)
            {
                if (delivery.Failed != null) notes.Record(noteCommit, recordedBundle, delivery.Failed);
                throw;
            }
            catch (UserError e)
            {
                if (delivery.Failed != null) notes.Record(noteCommit, recordedBundle, delivery.Failed);
                // The build, the -c command and the install stream their output as they run; the rest is shown now.
                if (e is TargetStepFailed failed && (output.Quiet || failed.Step is not ("idbuild" or "the -c command" or "installing")))
                    foreach (var line in failed.RemoteOutput.TrimEnd('\n').Split('\n').TakeLast(40).Where(l => l.Length > 0))
                        output.Err.WriteLine("remote: " + line);
                throw;
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
        });
    }

    private static KernelChoice BatchChoice(KspliceRepository repository)
    {
        var tree = BuildTreeSettings.Resolve(repository, null, null, null);
        return new KernelChoice("$ROOT/$MACH", tree.Root, tree.Mach, null);
    }

    /// <summary>The menu: every database entry, then $ROOT/$MACH when that tree exists.</summary>
    private static List<KernelChoice> Choices(IReadOnlyList<DatabaseFile> databases)
    {
        var choices = databases.SelectMany(d => d.Entries).Select(KernelChoice.FromDatabase).ToList();
        var root = Environment.GetEnvironmentVariable("ROOT");
        var mach = Environment.GetEnvironmentVariable("MACH");
        if (!string.IsNullOrEmpty(root) && !string.IsNullOrEmpty(mach) && Directory.Exists(Path.Combine(root, mach))
            && !choices.Any(c => c.Root == root && c.Mach == mach))
            choices.Add(new KernelChoice($"$ROOT/$MACH ({Path.Combine(root, mach)})", root, mach, null));
        return choices;
    }

    private static ConfigTree LoadBundle(string bundlePath, string destination)
    {
        if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
        BundleArchive.Extract(bundlePath, destination);
        return ConfigTree.Load(destination, TreeSide.Source);
    }
}
