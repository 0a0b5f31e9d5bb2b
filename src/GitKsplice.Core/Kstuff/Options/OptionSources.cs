namespace GitKsplice.Kstuff.Options;

/// <summary>Puts the option sources together in kstuff's order: rc files, git config, command line.</summary>
public static class OptionSources
{
    public static KstuffOptions Resolve(KstuffSettings settings, IEnumerable<string> commandLine)
    {
        var words = RcFiles.ReadAll();
        words.AddRange(settings.OptionWords());
        words.AddRange(commandLine.Select(w => new OptionWord(w, OptionOrigin.CommandLine)));
        return OptionParser.Parse(words);
    }
}
