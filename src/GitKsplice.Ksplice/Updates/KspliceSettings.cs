using GitKsplice.Git;
using GitKsplice.Settings;

namespace GitKsplice.Updates;

/// <summary>The settings of a build, from the command's settings (<see cref="ConfigKeys"/>); the command line overrides each.</summary>
public sealed class KspliceSettings
{
    /// <summary>ksplice.buildCommand: how a tree is built (run by /bin/sh in the tree).</summary>
    public required string BuildCommand { get; init; }
    /// <summary>ksplice.modules: globs of build outputs packaged by --build-modules (multi-valued).</summary>
    public required IReadOnlyList<string> ModuleGlobs { get; init; }
    /// <summary>ksplice.compiler: the C compiler the build runs (null: gcc on PATH).</summary>
    public string? Compiler { get; init; }
    /// <summary>Parallel build jobs: $CONCURRENCY_LEVEL, else ksplice.jobs, else the number of CPUs.</summary>
    public required int Jobs { get; init; }
    /// <summary>Whether $CONCURRENCY_LEVEL or ksplice.jobs gave <see cref="Jobs"/>; otherwise a launcher's farm may.</summary>
    public bool JobsGiven { get; init; }
    /// <summary>ksplice.compilerLauncher as words (empty: none).</summary>
    public IReadOnlyList<string> CompilerLauncher { get; init; } = [];
    /// <summary>ksplice.replace: livepatch modules are cumulative (klp_patch.replace) unless --replace says so.</summary>
    public bool Replace { get; init; }

    public static KspliceSettings Read(KspliceRepository repository) => Read(repository.Config);

    public static KspliceSettings Read(ConfigSnapshot config) => new()
    {
        BuildCommand = config.Get(KspliceConfigKeys.BuildCommand),
        ModuleGlobs = config.Get(KspliceConfigKeys.Modules),
        Compiler = config.Get(KspliceConfigKeys.Compiler),
        Jobs = config.Get(KspliceConfigKeys.Jobs),
        JobsGiven = config.SourceOf(KspliceConfigKeys.Jobs) != ConfigSource.Default,
        CompilerLauncher = config.Get(KspliceConfigKeys.CompilerLauncher),
        Replace = config.Get(KspliceConfigKeys.Replace),
    };
}
