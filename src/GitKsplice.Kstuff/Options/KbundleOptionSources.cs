using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Options;

/// <summary>
/// kbundle reads the same rc files as kstuff ("Kstuff and kbundle both read command options from …"), in the
/// same order, then the command line: options only kstuff knows are skipped in the rc files, refused on the
/// command line.
/// </summary>
public static class KbundleOptionSources
{
    /// <param name="environment">Reads HOME and KSTUFF_SYSTEM_RC; the process environment when null.</param>
    public static KbundleOptions Resolve(KstuffSettings settings, IReadOnlyList<string> commandLine, Func<string, string?>? environment = null)
    {
        var lines = RcFiles.ReadAll(environment ?? Environment.GetEnvironmentVariable);
        lines.AddRange(settings.OptionWords());
        var options = new KbundleOptions();
        foreach (var line in lines)
        {
            try { options = KstuffOptionParser.ParseKbundle(line.Words, fromRcFile: true, options); }
            catch (UserError e) { throw new UserError($"{line.Origin}: {e.Message}", e.ExitCode); }
        }
        return KstuffOptionParser.ParseKbundle(commandLine, fromRcFile: false, options);
    }
}
