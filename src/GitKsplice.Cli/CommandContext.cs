using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GitKsplice.Git;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Cli;

/// <summary>
/// The standard streams of one command run: the process's own (see <see cref="Standard"/>), or writers a test
/// reads back. Whether each is a terminal decides colour and live progress; <paramref name="Columns"/> is the
/// terminal's width, for output laid out in columns.
/// </summary>
public sealed record CommandStreams(TextReader In, TextWriter Out, TextWriter Err, bool OutIsTerminal = false, bool ErrIsTerminal = false, int Columns = 80)
{
    /// <summary>
    /// The process's streams. Standard output is block-buffered (.NET's own Console.Out writes every line, which
    /// costs more than building it for a listing of thousands); messages on standard error flush it first.
    /// </summary>
    public static CommandStreams Standard() => new(
        Console.In,
        new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false },
        Console.Error,
        // git runs its pager for us on a terminal and says so: the output is then still for a person's eyes.
        !Console.IsOutputRedirected || Environment.GetEnvironmentVariable("GIT_PAGER_IN_USE") is "true" or "1",
        !Console.IsErrorRedirected,
        TerminalColumns());

    private static int TerminalColumns()
    {
        try { return Console.WindowWidth is > 0 and var w ? w : 80; }
        catch (IOException) { return 80; } // no terminal at all
    }
}

/// <summary>
/// Everything one command run needs from outside itself, made once by <see cref="CommandLineRunner"/>: its
/// output, the working directory, its settings (git config read once, on first use), the repository (found
/// and opened on first use, closed with the context), the colour decision and the cancellation that SIGINT,
/// SIGTERM and SIGHUP trigger. Commands read the world
/// only through it, so they run the same in a test as in a process of their own.
/// </summary>
public sealed class CommandContext : IDisposable
{
    private readonly CommandStreams _streams;
    private KspliceRepository? _repository;
    private ConfigSnapshot? _config;
    private Colour? _colour;

    public CommandContext(ToolDescription tool, CommandStreams streams, string workingDirectory, CancellationToken cancel, int verbosity = 0)
    {
        Tool = tool;
        _streams = streams;
        WorkingDirectory = workingDirectory;
        Cancel = cancel;
        Output = new ToolOutput(streams.Out, streams.Err) { Verbosity = verbosity, ErrIsTerminal = streams.ErrIsTerminal, Columns = streams.Columns };
    }

    public ToolDescription Tool { get; }
    public ToolOutput Output { get; }
    /// <summary>Standard output: what the command produces.</summary>
    public TextWriter Out => Output.Out;
    public TextReader In => _streams.In;
    /// <summary>Standard output is read by a person (a terminal, or git's pager).</summary>
    public bool OutIsTerminal => _streams.OutIsTerminal;
    public string WorkingDirectory { get; }
    public CancellationToken Cancel { get; }

    /// <summary>A path from the command line made absolute against the command's working directory, not the process's.</summary>
    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary><see cref="FullPath(string)"/> of an optional path.</summary>
    public string? FullPathOrNull(string? path) => path == null ? null : FullPath(path);

    /// <summary>The repository around the working directory, as git finds it; "not a git repository" when there is none.</summary>
    public KspliceRepository Repository => _repository ??= KspliceRepository.Discover(WorkingDirectory, _config);

    /// <summary>
    /// The command's settings: git config as seen from the working directory, read once (by the repository
    /// when it is opened first, which reads it while libgit2 loads), and the environment.
    /// </summary>
    public ConfigSnapshot Config => _config ??= _repository?.Config ?? ConfigSnapshot.Read(WorkingDirectory);

    /// <summary>Git run in the working directory, for commands that need no repository opened.</summary>
    public GitCli Git => new(WorkingDirectory);

    /// <summary>Colour for standard output, as git decides it (color.&lt;tool&gt;, color.ui, NO_COLOR).</summary>
    public Colour Colour => _colour ??= Colour.ForStdout(Config, Tool.ColourKey, _streams.OutIsTerminal);

    /// <summary>Prints a command's --json report by its generated serializer: indented, keys in the record's order, non-ASCII text as it is.</summary>
    public void WriteJson<T>(T report, JsonTypeInfo<T> type) => Out.Write(JsonSerializer.Serialize(report, type) + "\n");

    public void Dispose()
    {
        _repository?.Dispose();
        Out.Flush();
    }
}

/// <summary>What a command does when it runs: given its context and its parsed command line, an exit code.</summary>
public delegate int CommandBody(CommandContext context, ParseResult parse);

/// <summary>A command's action run by <see cref="CommandLineRunner"/> with the run's context.</summary>
public sealed class ContextAction(CommandBody body) : System.CommandLine.Invocation.SynchronousCommandLineAction
{
    public int Run(CommandContext context, ParseResult parse) => body(context, parse);

    // Only the runner invokes it, with a context; System.CommandLine's own invocation has none to give.
    public override int Invoke(ParseResult parseResult) =>
        throw new InvalidOperationException("a command runs through CommandLineRunner, which gives it its context");
}

public static class CommandActions
{
    /// <summary>Sets what the command does; the runner calls it with the run's context.</summary>
    public static void Runs(this Command command, CommandBody body) => command.Action = new ContextAction(body);
}
