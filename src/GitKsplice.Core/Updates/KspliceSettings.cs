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
        var config = repository.Config;
        var modules = config.GetAll("ksplice.modules")
            .SelectMany(v => v.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        return new KspliceSettings
        {
            BuildCommand = config.Get("ksplice.buildCommand") is { Length: > 0 } cmd ? cmd : DefaultBuildCommand,
            ModuleGlobs = modules.Count > 0 ? modules : ["*.ko"],
            Compiler = config.Get("ksplice.compiler") is { Length: > 0 } cc ? cc : null,
            Jobs = int.TryParse(config.Get("ksplice.jobs"), out var n) && n > 0 ? n : null,
        };
    }
}
