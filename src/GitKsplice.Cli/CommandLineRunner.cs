using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Cli;

/// <summary>
/// A command that takes the whole command line as it is, past the parser (git kstuff's delivery reads the man
/// page's getopt-style words itself): null when the words are for the command tree.
/// </summary>
public delegate Func<CommandContext, int>? UnparsedCommand(string[] args);

/// <summary>
/// Runs one invocation of a tool: parses it with git's conventions (usage errors exit 129 with "error:" lines,
/// an unknown command exits 1 as git's does), makes the command's <see cref="CommandContext"/>, runs the command
/// and turns the errors the user can act on into one "fatal:" line and an exit code.
/// </summary>
public static class CommandLineRunner
{
    /// <summary>Hidden entries for the shell completions and install.sh; never listed in help or the manual.</summary>
    public const string CompleteCommand = "__complete";
    public const string ManualCommand = "__man";

    /// <summary>
    /// After a signal, how long a command may sit with every thread blocked before the process exits under it
    /// (a thread blocked opening a FIFO cannot see the cancellation), how long one still working (killing its
    /// programs, recording the interruption) may take on a loaded machine, and how long a clean-up that must run
    /// to its end (a target put back as it was over a slow link) may take. A second signal ends it at once.
    /// </summary>
    private static readonly TimeSpan IdleGrace = TimeSpan.FromMilliseconds(500), WorkingGrace = TimeSpan.FromSeconds(3),
        CleanUpGrace = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The process's entry: its standard streams and working directory. SIGINT, SIGTERM and SIGHUP cancel the
    /// command's token, so it stops its programs and cleans up; a command that sits blocked instead (a thread
    /// in I/O, such as opening a FIFO, cannot see the token) has its programs killed and the process exits
    /// anyway, with the interrupted exit code.
    /// </summary>
    public static int Main(ToolDescription tool, RootCommand root, string[] args, UnparsedCommand? unparsed = null)
    {
        var streams = CommandStreams.Standard();
        using var stop = new CancellationTokenSource();
        using var again = new ManualResetEventSlim();
        void Cancel(PosixSignalContext signal)
        {
            signal.Cancel = true;
            if (stop.IsCancellationRequested) again.Set();
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Cancel);
        var run = Task.Factory.StartNew(() => Run(tool, root, args, streams, Environment.CurrentDirectory, stop.Token, unparsed),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var finished = ((IAsyncResult)run).AsyncWaitHandle;
        if (WaitHandle.WaitAny([finished, stop.Token.WaitHandle]) == 0) return run.GetAwaiter().GetResult();

        var watcher = CurrentThreadId();
        var signalled = System.Diagnostics.Stopwatch.StartNew();
        var lastWorking = TimeSpan.Zero;
        var told = false;
        while (!finished.WaitOne(50))
        {
            if (again.IsSet) return Abandon(streams);
            var cleaningUp = ChildProcesses.CleaningUp;
            if (cleaningUp || Working(watcher)) lastWorking = signalled.Elapsed;
            if (signalled.Elapsed - lastWorking >= IdleGrace || signalled.Elapsed >= (cleaningUp ? CleanUpGrace : WorkingGrace))
                return Abandon(streams);
            if (cleaningUp && !told && signalled.Elapsed >= TimeSpan.FromSeconds(1))
            {
                told = true;
                Say(streams, "interrupted: finishing the clean-up; interrupt again to stop at once");
            }
        }
        return run.GetAwaiter().GetResult();
    }

    /// <summary>Ends a command that did not stop by itself: its programs killed, the interrupted exit code.</summary>
    private static int Abandon(CommandStreams streams)
    {
        ChildProcesses.KillAll();
        try { streams.Out.Flush(); }
        catch (IOException) { }
        Say(streams, "fatal: interrupted");
        PerformanceTrace.Step($"exit {ExitCodes.Interrupted} (the command did not stop by itself)");
        return ExitCodes.Interrupted;
    }

    /// <summary>A line on standard error, which may be a closed pipe by now.</summary>
    private static void Say(CommandStreams streams, string line)
    {
        try { streams.Err.WriteLine(line); }
        catch (IOException) { }
    }

    /// <summary>Whether a thread of this process other than <paramref name="watcher"/> is running or waiting for a CPU.</summary>
    private static bool Working(string watcher)
    {
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (Path.GetFileName(task) == watcher) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(task, "stat")); }
            catch (IOException) { continue; } // the thread ended
            // "tid (name) S …": the state follows the parenthesised name, which may itself hold spaces or ')'.
            var state = stat.LastIndexOf(')') is var close and > 0 && close + 2 < stat.Length ? stat[close + 2] : 'S';
            if (state == 'R') return true;
        }
        return false;
    }

    private static string CurrentThreadId() =>
        Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget ?? "");

    /// <summary>One invocation with the given streams and working directory: what Main runs, and what tests run in-process.</summary>
    public static int Run(ToolDescription tool, RootCommand root, string[] args, CommandStreams streams, string workingDirectory,
        CancellationToken cancel, UnparsedCommand? unparsed = null)
    {
        using var context = new CommandContext(tool, streams, workingDirectory, cancel);
        // Read before parsing: the words being completed are arbitrary and must not be parsed as our options.
        if (args is [CompleteCommand, ..])
            return Execute(context, () => Completion.Run(root, context, args[1..]));
        if (args is [ManualCommand, ..])
            return Execute(context, () => ManualPages.Run(root, tool, args[1..], context.Out));
        if (unparsed?.Invoke(args) is { } whole)
            return Execute(context, () => whole(context));

        var (words, verbosity) = Verbosity.Fold(args);
        var parsed = root.Parse(words);
        if (UnknownCommand(root, parsed, words, tool) is { } unknown)
        {
            context.Output.Err.Write(unknown);
            return ExitCodes.Error;
        }
        // A root that takes its own words (git kstuff HOST) lets unmatched tokens through for every command;
        // a subcommand that does not take them still refuses them.
        var command = parsed.CommandResult.Command;
        var stray = command != root && command.TreatUnmatchedTokensAsErrors ? parsed.UnmatchedTokens : [];
        if (parsed.Errors.Count > 0 || stray.Count > 0)
        {
            foreach (var error in parsed.Errors)
                context.Output.Error(Describe(error));
            foreach (var token in stray)
                context.Output.Error($"unknown option or argument '{token}' for '{Invocation(parsed, tool)}'");
            context.Output.Err.WriteLine($"usage: see '{Invocation(parsed, tool)} -h'");
            return ExitCodes.Usage;
        }
        if (parsed.Action is ContextAction action)
        {
            context.Output.Verbosity = verbosity;
            context.Output.Quiet = command.Options.FirstOrDefault(o => o.Name == "--quiet") is Option<bool> quiet && parsed.GetValue(quiet);
            return Execute(context, () => action.Run(context, parsed));
        }
        // -h and --version: System.CommandLine's own actions, on this run's streams.
        return parsed.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Output.Err, ProcessTerminationTimeout = null });
    }

    /// <summary>Runs a command body, turning the errors the user can act on into one fatal line and an exit code.</summary>
    private static int Execute(CommandContext context, Func<int> body)
    {
        var output = context.Output;
        int exit;
        try { exit = body(); }
        // A write that found no space: said so, whatever git, .NET or libgit2 made of it.
        catch (Exception e) when (e is not OperationCanceledException && NoSpace.Explain(e) is { } full) { output.Fatal(full); exit = ExitCodes.Error; }
        catch (UserError e) { output.Fatal(e.Message); exit = e.ExitCode; }
        // Input that is not what it claims to be (an ELF object): the message names it.
        catch (FormatException e) { output.Fatal(e.Message); exit = ExitCodes.Error; }
        catch (LibGit2Sharp.RepositoryNotFoundException) { output.Fatal("not a git repository (or any of the parent directories)"); exit = ExitCodes.Error; }
        catch (OperationCanceledException) { output.Fatal("interrupted"); exit = ExitCodes.Interrupted; }
        catch (IOException e) { output.Fatal(e.Message); exit = ExitCodes.Error; }
        catch (UnauthorizedAccessException e) { output.Fatal(e.Message); exit = ExitCodes.Error; }
        catch (LibGit2Sharp.LibGit2SharpException e) { output.Fatal(e.Message); exit = ExitCodes.Error; }
        catch (Exception e)
        {
            // A bug of ours: still one line for the user, the stack trace only on request.
            output.Fatal($"unexpected error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("GIT_KSPLICE_TRACE") is { Length: > 0 }) output.Err.WriteLine(e);
            exit = ExitCodes.Error;
        }
        PerformanceTrace.Step($"exit {exit}");
        return exit;
    }

    /// <summary>
    /// git's answer to a word that is no command of a tool whose root does nothing by itself: the word named,
    /// the closest commands suggested, exit 1, even with -h after it (git nosuch --help says the same).
    /// </summary>
    private static string? UnknownCommand(RootCommand root, ParseResult parsed, string[] words, ToolDescription tool)
    {
        if (root.Action != null || parsed.CommandResult.Command != root) return null;
        if (words.FirstOrDefault(w => !w.StartsWith('-')) is not { } word) return null;
        var gitName = tool.GitName;
        var text = new System.Text.StringBuilder($"{gitName}: '{word}' is not a {gitName} command. See '{gitName} --help'.\n");
        var similar = CommandTree.VisibleSubcommands(root).Select(c => c.Name)
            .Select(name => (Name: name, Distance: EditDistance(word, name)))
            .Where(c => c.Distance <= Math.Max(2, word.Length / 3) || c.Name.StartsWith(word, StringComparison.Ordinal))
            .OrderBy(c => c.Distance).Select(c => c.Name).ToList();
        if (similar.Count > 0)
        {
            text.Append(similar.Count == 1 ? "\nThe most similar command is\n" : "\nThe most similar commands are\n");
            foreach (var name in similar) text.Append('\t').Append(name).Append('\n');
        }
        return text.ToString();
    }

    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    /// <summary>
    /// A parse error as one line. A value that does not convert gets the option and the value named, never
    /// .NET's name of the type ("System.Nullable`1[System.Int32]").
    /// </summary>
    private static string Describe(ParseError error)
    {
        if (!error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal)) return error.Message;
        var (symbol, type, tokens) = error.SymbolResult switch
        {
            OptionResult o => ((Symbol)o.Option, o.Option.ValueType, o.Tokens),
            ArgumentResult a when a.Parent is OptionResult o => (o.Option, o.Option.ValueType, a.Tokens),
            ArgumentResult a => (a.Argument, a.Argument.ValueType, a.Tokens),
            _ => (null, typeof(object), (IReadOnlyList<Token>)[]),
        };
        if (symbol == null) return error.Message;
        var what = symbol is Option option ? $"option '{CommandTree.Names(option).First()}'" : $"argument <{symbol.Name}>";
        var value = tokens.Count > 0 ? tokens[^1].Value : "";
        return $"{what} expects {Expected(Nullable.GetUnderlyingType(type) ?? type)}, not '{value}'";
    }

    private static string Expected(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(uint) || type == typeof(ulong) ? "a whole number"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))
        : "a " + type.Name.ToLowerInvariant();

    /// <summary>"git ksplice series set": the command the parse reached, as the user types it.</summary>
    private static string Invocation(ParseResult parsed, ToolDescription tool)
    {
        var names = new List<string>();
        for (var r = parsed.CommandResult; r.Parent is System.CommandLine.Parsing.CommandResult parent; r = parent)
            names.Insert(0, r.Command.Name);
        return string.Join(' ', names.Prepend(tool.GitName));
    }
}
