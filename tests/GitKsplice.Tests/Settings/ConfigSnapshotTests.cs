using GitKsplice.Hooks;
using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Tests.Settings;

/// <summary>Settings read one way: git's own value rules, and the environment over git config over the default.</summary>
public class ConfigSnapshotTests
{
    /// <summary>A snapshot of git config -z --list --show-scope output for these local values ("key" alone: no "=").</summary>
    private static ConfigSnapshot Snapshot(string[] entries, Dictionary<string, string>? environment = null) =>
        ConfigSnapshot.Parse(string.Concat(entries.Select(e => "local\0" + e + "\0")), name => environment?.GetValueOrDefault(name));

    [Theory]
    [InlineData("true", true), InlineData("Yes", true), InlineData("on", true), InlineData("1", true), InlineData("-3", true), InlineData("2k", true)]
    [InlineData("false", false), InlineData("NO", false), InlineData("off", false), InlineData("0", false), InlineData("", false)]
    public void Booleans_follow_git(string value, bool expected)
    {
        Assert.Equal(expected, ConfigValues.Bool(value));
        Assert.Equal(expected, Snapshot(["kstuff.sshmultiplex\n" + value]).Get(KstuffConfigKeys.SshMultiplex));
    }

    [Fact]
    public void A_key_without_a_value_is_true_and_a_word_is_an_error_naming_the_key()
    {
        Assert.True(Snapshot(["kstuff.sshmultiplex"]).Get(KstuffConfigKeys.SshMultiplex));
        var e = Assert.Throws<UserError>(() => Snapshot(["kstuff.sshmultiplex\nmaybe"]).Get(KstuffConfigKeys.SshMultiplex));
        Assert.Equal("git config kstuff.sshMultiplex (local): 'maybe' is not a boolean (true, yes, on, 1 or false, no, off, 0)", e.Message);
        Assert.Throws<UserError>(() => Snapshot(["ksplice.buildcommand"]).Get(KspliceConfigKeys.BuildCommand));
    }

    [Theory]
    [InlineData("30.days", 30 * 24 * 3600), InlineData("2.weeks.ago", 14 * 24 * 3600), InlineData("12.hours", 12 * 3600), InlineData("90", 90 * 24 * 3600), InlineData("now", 0)]
    public void Durations_follow_git_expiry_dates(string value, long seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), ConfigValues.Duration(value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), Snapshot(["ksplice.gc.maxage\n" + value]).Get(KspliceConfigKeys.GcMaxAge));
    }

    [Fact]
    public void Never_is_forever_and_an_unknown_unit_is_an_error()
    {
        Assert.Equal(TimeSpan.MaxValue, ConfigValues.Duration("never"));
        Assert.Throws<FormatException>(() => ConfigValues.Duration("3.fortnights"));
        Assert.Equal(TimeSpan.FromDays(30), Snapshot([]).Get(KspliceConfigKeys.GcMaxAge));
    }

    [Fact]
    public void Integers_take_gits_unit_suffixes_and_jobs_must_be_positive()
    {
        Assert.Equal(2048, ConfigValues.Int("2k"));
        Assert.Equal(4, Snapshot(["ksplice.jobs\n4"]).Get(KspliceConfigKeys.Jobs));
        Assert.Throws<UserError>(() => Snapshot(["ksplice.jobs\n0"]).Get(KspliceConfigKeys.Jobs));
        Assert.Throws<UserError>(() => Snapshot(["ksplice.jobs\nmany"]).Get(KspliceConfigKeys.Jobs));
    }

    [Fact]
    public void The_environment_wins_over_git_config_which_wins_over_the_default()
    {
        Assert.Equal(Environment.ProcessorCount, Snapshot([]).Get(KspliceConfigKeys.Jobs));
        Assert.Equal(3, Snapshot(["ksplice.jobs\n3"]).Get(KspliceConfigKeys.Jobs));
        var both = Snapshot(["ksplice.jobs\n3"], new() { ["CONCURRENCY_LEVEL"] = "5" });
        Assert.Equal(5, both.Get(KspliceConfigKeys.Jobs));
        Assert.Equal(ConfigSource.Environment, both.SourceOf(KspliceConfigKeys.Jobs));

        var kstuff = Snapshot(["kstuff.root\n/from/config", "kstuff.mach\nm1"], new() { ["ROOT"] = "/from/env", ["TOOLS"] = "/tools" });
        Assert.Equal("/from/env", kstuff.Get(KstuffConfigKeys.Root));
        Assert.Equal("m1", kstuff.Get(KstuffConfigKeys.Mach));
        Assert.Equal("/tools/etc/conf/bin", kstuff.Get(KstuffConfigKeys.Idtools));
        // An empty variable is unset, as the shell's ${ROOT:-...} would have it.
        Assert.Equal("/from/config", Snapshot(["kstuff.root\n/from/config"], new() { ["ROOT"] = "" }).Get(KstuffConfigKeys.Root));
    }

    [Fact]
    public void The_last_value_wins_and_multi_valued_keys_keep_every_value_in_order()
    {
        var s = Snapshot(["ksplice.hook.mode\nsync", "KSPLICE.HOOK.MODE\nOff", "ksplice.modules\n*.ko a/*.o", "ksplice.modules\nb.o"]);
        Assert.Equal(HookMode.Off, s.Get(KspliceConfigKeys.HookMode));
        Assert.Equal(["*.ko", "a/*.o", "b.o"], s.Get(KspliceConfigKeys.Modules));
        Assert.Equal(["ssh", "-F", "my config"], Snapshot(["kstuff.sshcommand\nssh -F 'my config'"]).Get(KstuffConfigKeys.SshCommand));
    }

    [Fact]
    public void Colour_follows_the_tools_key_then_color_ui_and_NO_COLOR_wins()
    {
        Assert.Null(Snapshot([]).Get(KspliceConfigKeys.ColorKsplice));
        Assert.Equal(ColourMode.Always, Snapshot(["color.ui\nalways"]).Get(GitConfigKeys.ColorUi));
        Assert.Equal(ColourMode.Auto, Snapshot(["color.ksplice\ntrue"]).Get(KspliceConfigKeys.ColorKsplice));
        Assert.Equal(ColourMode.Never, Snapshot(["color.ksplice\nalways"], new() { ["NO_COLOR"] = "1" }).Get(KspliceConfigKeys.ColorKsplice));
    }

    [Fact]
    public void Keys_under_our_prefixes_that_no_key_declares_are_reported()
    {
        var s = Snapshot(["ksplice.jobs\n2", "ksplice.job\n2", "kstuff.root\n/r"]);
        Assert.Equal(["ksplice.job"], s.Undeclared("ksplice.", KspliceConfigKeys.All).Select(e => e.Key));
    }

    [Fact]
    public void Every_key_is_documented_once()
    {
        IReadOnlyList<ConfigKey> all = [.. KspliceConfigKeys.All, .. KstuffConfigKeys.All, GitConfigKeys.ColorUi, .. GitConfigKeys.Notes];
        Assert.Equal(all.Count, all.Select(k => k.Name.ToLowerInvariant()).Distinct().Count());
        Assert.All(all, k => Assert.False(string.IsNullOrWhiteSpace(k.Description) || string.IsNullOrWhiteSpace(k.Default) || string.IsNullOrWhiteSpace(k.Type), k.Name));
    }
}
