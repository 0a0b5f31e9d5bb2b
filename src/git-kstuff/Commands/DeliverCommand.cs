using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Delivery;
using GitKsplice.Kstuff.Options;
using GitKsplice.Kstuff.Targets;
using GitKsplice.Reporting;

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
        root.Runs((context, parse) => Run(context, parse.UnmatchedTokens));
    }

    /// <summary>
    /// Whether argv is a delivery: anything but a subcommand or a help request. The words then go to the
    /// man page's getopt-style parser untouched ("--" included), never through System.CommandLine.
    /// </summary>
    private static bool IsDelivery(RootCommand root, string[] args) =>
        args.Length == 0 || !(root.Subcommands.Any(c => c.Name == args[0]) || args[0] is "-h" or "--help" or "-?" or "--version"
            || args[0] is CommandLineRunner.CompleteCommand or CommandLineRunner.ManualCommand);

    /// <summary>The delivery when argv is one, for <see cref="CommandLineRunner"/>: it takes the words past the parser.</summary>
    public static Func<CommandContext, int>? Unparsed(RootCommand root, string[] args) =>
        IsDelivery(root, args) ? context => Run(context, args) : null;

    public static int Run(CommandContext context, IReadOnlyList<string> words)
    {
        var output = context.Output;
        var cwd = context.WorkingDirectory;
        var settings = new KstuffSettings(context.Config);
        var options = OptionSources.Resolve(settings, words);
        output.Quiet = options.Quiet;
        var mode = KstuffDelivery.ModeOf(options);
        if (mode == DeliveryMode.Quick && !options.Batch)
            throw new UserError("-Q can only be used in batch mode (-b)", ExitCodes.Usage);

        var repository = context.Repository;
        var databases = options.DatabaseFiles.Select(f => DatabaseFile.Load(context.FullPath(f))).ToList();
        var menu = new KernelMenu(context.In, output.Err);
        var source = options.Batch ? MachineTree.Resolve(settings, cwd)
            : menu.Choose(KernelChoice.All(databases, MachineTree.TryResolve(settings, cwd))).Tree(settings, cwd);
        var operand = options.TargetOperand;
        // Interactive mode asks for the host (--target-root then applies on it); batch mode with
        // --target-root alone delivers into that local directory.
        if (operand == null && !options.Batch) operand = menu.AskTarget();
        if (operand == null && options.TargetRoot == null)
            throw new UserError("no target: give host[:kname], local:DIR or --target-root DIR", ExitCodes.Usage);
        var address = TargetAddress.Parse(operand, options.TargetRoot, cwd);
        var request = new DeliveryRequest(mode, options, source, databases, address,
            new TargetLayout(address.Kname ?? TargetLayout.DefaultKname(TargetLayout.Login()), options.TargetKernel),
            mode == DeliveryMode.BuildOnly ? [] : options.Commands.Select(c => CommandFile.Resolve(c, cwd)).ToList(),
            context.FullPathOrNull(options.RenameFile) is { } renames ? RenameMap.Load(renames) : null,
            DeliverySettings.From(settings));

        // ^C stops the running step and cleans up on the target (the stage and the lock) before exiting.
        var outcome = new KstuffDelivery(repository, output).Run(request, context.Cancel);
        switch (outcome.Record.Result)
        {
            case DeliveryResult.Ok:
                return ExitCodes.Success;
            case DeliveryResult.Interrupted:
                throw new OperationCanceledException();
            default:
                foreach (var line in outcome.UnshownRemoteOutput.TrimEnd('\n').Split('\n').TakeLast(40).Where(l => l.Length > 0))
                    output.Err.WriteLine("remote: " + line);
                throw outcome.Error!;
        }
    }
}
