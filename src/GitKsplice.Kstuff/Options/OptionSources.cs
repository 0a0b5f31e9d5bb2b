using System.Text.RegularExpressions;
using GitKsplice.Kstuff.Targets;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Options;

/// <summary>
/// Puts the option sources together in kstuff's order — system rc files, $HOME/.kstuff.rc, git config
/// kstuff.options, the command line — each line applied on top of the last, so the last option wins and
/// an error names the file and line it came from.
/// </summary>
public static partial class OptionSources
{
    /// <param name="environment">Reads HOME and KSTUFF_SYSTEM_RC; the process environment when null.</param>
    public static KstuffOptions Resolve(KstuffSettings settings, IReadOnlyList<string> commandLine, Func<string, string?>? environment = null)
    {
        var lines = RcFiles.ReadAll(environment ?? Environment.GetEnvironmentVariable);
        lines.AddRange(settings.OptionWords());
        var options = new KstuffOptions();
        foreach (var line in lines)
            options = Apply(line.Words, options, line.Origin);
        options = Apply(commandLine, options, null);
        foreach (var driver in options.Stuff.Keys)
            if (!DriverName().IsMatch(driver))
                throw new UserError($"bad driver name '{Regex.Replace(driver, @"\p{Cc}", "?")}' for -n, -N or -Y: use letters, digits and '_' (at most 32, not starting with a digit)", ExitCodes.Usage);
        try { TargetAddress.CheckKname(options.TargetKernel); }
        catch (UserError e) { throw new UserError("-t: " + e.Message, ExitCodes.Usage); }
        return options;
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,31}$")]
    private static partial Regex DriverName();

    private static KstuffOptions Apply(IReadOnlyList<string> words, KstuffOptions options, OptionOrigin? origin)
    {
        // A host named by an earlier source is a default that a later one may replace.
        var cleared = options with { Host = null, KernelName = null, TargetOperand = null };
        KstuffOptions parsed;
        try { parsed = KstuffOptionParser.ParseKstuff(words, cleared); }
        catch (UserError e) when (origin != null) { throw new UserError($"{origin}: {e.Message}", e.ExitCode); }
        return parsed.Host == null
            ? parsed with { Host = options.Host, KernelName = options.KernelName, TargetOperand = options.TargetOperand }
            : parsed;
    }
}
