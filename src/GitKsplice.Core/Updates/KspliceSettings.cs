using GitKsplice.Git;

namespace GitKsplice.Updates;

/// <summary>The ksplice.* settings of git config; the command line overrides each.</summary>
public sealed class KspliceSettings
{
    public const string DefaultBuildCommand = "make";

    /// <summary>ksplice.buildCommand: how a tree is built (run by /bin/sh in the tree).</summary>
    public string BuildCommand { get; init; } = DefaultBuildCommand;
    /// <summary>ksplice.modules: globs of build outputs packaged by --build-modules (multi-valued).</summary>
    public IReadOnlyList<string> ModuleGlobs { get; init; } = ["*.ko"];
    /// <summary>ksplice.compiler: the C compiler the build runs (default gcc on PATH).</summary>
    public string? Compiler { get; init; }
    /// <summary>ksplice.jobs: parallel build jobs (default CONCURRENCY_LEVEL, else the number of CPUs).</summary>
    public int? Jobs { get; init; }

    public static KspliceSettings Read(KspliceRepository repository)
    {
        var config = repository.Repo.Config;
        var modules = config.Find("ksplice.modules")
            .SelectMany(e => e.Value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        return new KspliceSettings
        {
            BuildCommand = config.Get<string>("ksplice.buildCommand")?.Value is { Length: > 0 } cmd ? cmd : DefaultBuildCommand,
            ModuleGlobs = modules.Count > 0 ? modules : ["*.ko"],
            Compiler = config.Get<string>("ksplice.compiler")?.Value,
            Jobs = config.Get<string>("ksplice.jobs")?.Value is { } j && int.TryParse(j, out var n) && n > 0 ? n : null,
        };
    }
}
