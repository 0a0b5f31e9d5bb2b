using GitKsplice.Live;
using GitKsplice.Livepatch;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Live;

/// <summary>The checks before a load, the view's parsing and the notes' records, on the text targets print.</summary>
public class LiveCheckTests
{
    private static readonly LivepatchModule Module = new()
    {
        File = "ksplice_a1.ko", Name = "ksplice_a1", Sha256 = new string('0', 64), KernelRelease = "6.1.192+",
        KernelReleaseSource = "test", SymbolPositionsSource = "test",
        Objects = [new PatchedObject("vmlinux", [new PatchedFunction("cmdline_proc_show", 0), new PatchedFunction("s_show", 2)])],
    };

    private static Dictionary<string, List<(ulong Address, char Type)>> Map() => new()
    {
        ["_text"] = [(0xffffffff81000000, 'T')],
        ["cmdline_proc_show"] = [(0xffffffff8112a674, 't')],
        ["s_show"] = [(0xffffffff81100000, 't'), (0xffffffff81200000, 't')],
    };

    private static List<KallsymsEntry> Kallsyms(ulong shift, ulong cmdline = 0x12a674) =>
    [
        new(0xffffffff81000000 + shift, 'T', "_text", null),
        new(0xffffffff81100000 + shift, 't', "s_show", null),
        new(0xffffffff81000000 + cmdline + shift, 't', "cmdline_proc_show", null),
        new(0xffffffff81200000 + shift, 't', "s_show", null),
        new(0xffffffffc0001000, 't', "s_show", "configs"),
    ];

    [Fact]
    public void A_relocated_kernel_of_the_same_build_passes_and_a_moved_function_is_another_build()
    {
        var same = LiveChecks.Symbols(UpdateId.Parse("a1"), Module, Map(), Kallsyms(shift: 0x3000000), "h");
        Assert.True(same.Passed, same.Detail);
        Assert.Equal("2 replaced function(s) at the same offsets as in the update's System.map", same.Detail);

        var moved = LiveChecks.Symbols(UpdateId.Parse("a1"), Module, Map(), Kallsyms(shift: 0, cmdline: 0x12a680), "h");
        Assert.False(moved.Passed);
        Assert.Equal("cmdline_proc_show is at _text+0x12a680 in the kernel of h but at _text+0x12a674 in update a1's System.map: h runs another build of cmdline_proc_show's kernel", moved.Detail);
    }

    [Fact]
    public void Counts_are_compared_where_the_kernel_hides_addresses_and_a_missing_function_is_named()
    {
        var hidden = Kallsyms(0).Select(k => k with { Address = 0 }).ToList();
        var counted = LiveChecks.Symbols(UpdateId.Parse("a1"), Module, Map(), hidden, "h");
        Assert.True(counted.Passed, counted.Detail);
        Assert.StartsWith("2 replaced function(s) counted (the target hides kernel addresses)", counted.Detail);

        var fewer = LiveChecks.Symbols(UpdateId.Parse("a1"), Module, Map(), hidden.Where(k => !(k.Name == "s_show" && k.Module == null)).ToList(), "h");
        Assert.False(fewer.Passed);
        Assert.Equal("s_show is not in the kernel of h: it runs another kernel than update a1's", fewer.Detail);

        var one = hidden.Where((k, i) => i != 3).ToList();
        Assert.Equal("s_show: 2 function(s) of that name in update a1's System.map, 1 in the kernel of h: it runs another build",
            LiveChecks.Symbols(UpdateId.Parse("a1"), Module, Map(), one, "h").Detail);
    }

    [Fact]
    public void Release_and_vermagic_flags_are_compared_with_uname_and_proc_version()
    {
        var debian = new TargetFacts(0, "6.1.0-9-amd64", "Linux version 6.1.0-9-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP PREEMPT_DYNAMIC Debian 6.1.27-1", true);
        Assert.True(LiveChecks.Vermagic(UpdateId.Parse("a1"), "6.1.0-9-amd64 SMP preempt mod_unload modversions ", debian, "h").Passed);
        var tiny = LiveChecks.Vermagic(UpdateId.Parse("a1"), "6.1.0-9-amd64 mod_unload ", debian, "h");
        Assert.False(tiny.Passed);
        Assert.StartsWith("update a1's module is built without SMP, but the kernel of h is SMP (", tiny.Detail);
        Assert.Equal("update a1 is built for kernel 6.1.192+, but h runs 6.1.0-9-amd64", LiveChecks.Release(UpdateId.Parse("a1"), "6.1.192+", debian, "h").Detail);
    }

    [Fact]
    public void The_view_of_a_target_and_the_series_and_applied_checks_read_from_it()
    {
        var view = TargetView.Parse("""
            @ release 6.1.192+
            @ livepatch yes
            @ patch ksplice_a1 1 0
            @ function ksplice_a1 vmlinux cmdline_proc_show,1
            @ sha256 ksplice_a1 abc
            @ patch kpatch_other 1 1
            @ function kpatch_other configs ikconfig_read_current,2
            @ job ksplice_a1 applied
            @ job ksplice_b2 reversed
            """ + "\n");
        Assert.Equal("6.1.192+", view.Release);
        Assert.Equal([new LiveFunction("vmlinux", "cmdline_proc_show", 1)], view.Find("ksplice_a1")!.Functions);
        Assert.Equal("abc", view.Find("ksplice_a1")!.Sha256);
        Assert.True(view.Find("kpatch_other")!.InTransition);
        Assert.Equal("reversed", view.Jobs["ksplice_b2"]);
        Assert.True(LiveChecks.Series(UpdateId.Parse("b2"), "a1", view, "h").Passed);
        Assert.Equal("update c3 follows b2 in its series, which is not applied on h: apply b2 first", LiveChecks.Series(UpdateId.Parse("c3"), "b2", view, "h").Detail);
        Assert.Equal("update a1 is already applied on h (ksplice_a1)", LiveChecks.NotApplied(UpdateId.Parse("a1"), "ksplice_a1", view, "h").Detail);
    }

    [Fact]
    public void One_record_per_update_and_host_says_where_it_is_live()
    {
        var a1 = UpdateId.Parse("a1");
        var when = new DateTimeOffset(2026, 11, 26, 18, 0, 0, TimeSpan.Zero);
        var note = "ksplice-update: a1\nverdict: ok\n";
        note = new LiveRecord(a1, LiveAction.Apply, "h1", "6.1.192+", when, LiveResult.Applied, null).MergeInto(note);
        note = new LiveRecord(a1, LiveAction.Apply, "h2", "6.1.192+", when, LiveResult.Applied, null).MergeInto(note);
        note = new LiveRecord(a1, LiveAction.Undo, "h1", "6.1.192+", when.AddMinutes(1), LiveResult.Undone, null).MergeInto(note);
        Assert.StartsWith("ksplice-update: a1\nverdict: ok\n\n", note);
        Assert.Equal(2, LiveRecord.FromNote(a1, note).Count);
        var live = Assert.Single(LiveRecord.LiveOn(a1, note));
        Assert.Equal("h2", live.Host);
        Assert.Contains("ksplice-undone: a1\nhost: h1\nkernel: 6.1.192+\nwhen: 2026-11-26T18:01:00Z\nresult: undone\n", note);
    }
}
