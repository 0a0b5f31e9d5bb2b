using System.CommandLine;
using GitKsplice.IO;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Merge;
using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// git kstuff merge: the configuration merge of kstuff(1) between two local trees, the plumbing under delivery.
/// Writes the merged tree with -o (else only reports what it would do).
/// </summary>
internal static class MergeCommand
{
    public static Command Build()
    {
        var source = new Argument<string>("source-tree") { Description = "The source configuration: a bundle file, an extracted bundle, an etc/conf, or a root holding etc/conf" };
        var target = new Argument<string>("target-tree") { Description = "The target's configuration tree: a copy of its /etc/conf, or a root holding etc/conf" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the merged tree here, a new or empty directory (under etc/conf when the target was given as a root)", HelpName = "dir" };
        var include = ManPageOptions.WithArgument("-n", "driver", "Stuff the driver even if the target lacks it");
        var configure = ManPageOptions.WithArgument("-Y", "driver", "Stuff the driver configured in (every N becomes Y in System)");
        var stubOut = ManPageOptions.WithArgument("-N", "driver", "Stuff the driver stubbed out (every Y becomes N in System)");
        var rename = ManPageOptions.WithArgument("-r", "rename.file", "Driver rename map: lines 'source-name target-name'");
        var reset = ManPageOptions.Flag("-R", "Defeat every earlier -n, -Y, -N and -r");
        var devMajors = new Option<string?>("--dev-majors") { Description = "The target's device nodes: 'ls -lR /dev' output, or lines 'b|c major'", HelpName = "file" };
        var maxMajor = new Option<int?>("--max-major") { Description = "Highest major number a remapped driver may get (default 255)", HelpName = "n" };
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        Option[] manPage = [include, configure, stubOut, rename, reset];

        var command = new Command("merge", "Merge a source kernel configuration into a target's, by the rules of kstuff(1)")
        {
            source, target, output, include, configure, stubOut, rename, reset, devMajors, maxMajor, json, quiet,
        };
        command.Runs((context, parse) =>
        {
            var tool = context.Output;
            ManPageOptions.RejectUnknown(parse);
            var words = ManPageOptions.Words(parse, manPage);
            var parsed = KstuffOptionParser.ParseKstuff(words);
            var options = new MergeOptions
            {
                Stuff = parsed.Stuff,
                Renames = context.FullPathOrNull(parsed.RenameFile) is { } renames ? RenameMap.Load(renames) : new Dictionary<string, string>(),
                DevMajors = context.FullPathOrNull(parse.GetValue(devMajors)) is { } dev ? DeviceListing.Parse(dev, ReadFile(dev, "device listing")) : DeviceMajors.None,
                MaxMajor = parse.GetValue(maxMajor) is { } max ? (max > 0 ? max : throw new UserError("--max-major must be positive", ExitCodes.Usage)) : 255,
            };
            MergeResult result;
            using (var sourceTree = OpenedTree.Open(context.FullPath(parse.GetValue(source)!), TreeSide.Source, Path.GetTempPath()))
            using (var targetTree = OpenedTree.Open(context.FullPath(parse.GetValue(target)!), TreeSide.Target, Path.GetTempPath()))
            {
                result = ConfigMerge.Merge(sourceTree.Tree, targetTree.Tree, options);
                // The merged tree takes the target's place, so it takes its layout too.
                if (context.FullPathOrNull(parse.GetValue(output)) is { } dir) result.Merged.Write(targetTree.IsRoot ? Path.Combine(dir, "etc", "conf") : dir);
            }

            if (parse.GetValue(json))
            {
                context.WriteJson(MergeJson.Of(parse.GetValue(output), result), KstuffJsonContext.Relaxed.MergeJson);
            }
            else
                foreach (var d in result.Decisions)
                    tool.Out.WriteLine($"{MergeNames.Fates[d.Fate],-20} {d.Name}{(d.SourceName != null && d.SourceName != d.Name ? $" (source {d.SourceName})" : "")}: {d.Reason}");
            foreach (var w in result.Warnings) tool.Warning(w.ToString());
            return ExitCodes.Success;
        });
        return command;
    }

    private static string ReadFile(string path, string what)
    {
        FileKinds.RequireRegularFile(path, what);
        return File.ReadAllText(path);
    }
}

/// <summary>merge --json: where the merged tree went (null: nowhere), each driver's fate and why, the warnings.</summary>
internal sealed record MergeJson(string? Output, IReadOnlyList<MergeJson.Driver> Drivers, IReadOnlyList<MergeWarning> Warnings, IReadOnlyList<string> SourceOnlyIncluded)
{
    public static MergeJson Of(string? output, MergeResult result) => new(output,
        result.Decisions.Select(d => new Driver(d.Name, d.SourceName, d.Fate, d.Incorporated, d.Reason,
            d.MajorChanges.Select(c => new Major(c.Type.ToString(), c.From.ToString(), c.To.ToString())).ToList())).ToList(),
        result.Warnings, result.SourceOnlyIncluded.ToList());

    internal sealed record Driver(string Name, string? SourceName, DriverFate Fate, bool Incorporated, string Reason, IReadOnlyList<Major> MajorChanges);

    /// <summary>A change of majors: the device type (b or c) and the ranges, as the listing writes them.</summary>
    internal sealed record Major(string Type, string From, string To);
}
