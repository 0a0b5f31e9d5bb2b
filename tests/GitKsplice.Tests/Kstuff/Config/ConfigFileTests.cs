using GitKsplice.Kstuff.Config;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Config;

public class ConfigFileTests
{
    private const string Master2 =
        "#ident\t\"@(#)kern-io:io/asyc/asyc.cf/Master\t1.4\"\n" +
        "* an old-style comment\n" +
        "\n" +
        "$version 2\n" +
        "$contact  SCO  kernel group\n" +
        "$entry init start halt\n" +
        "$depend  ddi\n" +
        "$interface ddi 8\n" +
        "$interface base\n" +
        "$modtype \"Serial Driver\"\n" +
        "$magic 12\n" +
        "$oversion 1\n" +
        "$name asyc\n" +
        "$somefuturething kept as it is\n" +
        "asyc   asyc_  ctkH   3    0   3-5   # trailing comment\n";

    [Theory]
    [InlineData(Master2)]
    [InlineData("$version 1\n$dversion 1\nfoo\tfoo\tcho\t0\t7\t7\t2\n")]
    [InlineData("$version 2\r\n$entry init\r\nbar bar_ c 0 0 12\r\n")]
    [InlineData("$version 2\nbaz baz -  0 0 0")]
    [InlineData("")]
    public void Master_files_are_written_back_byte_for_byte(string text)
    {
        Assert.Equal(text, MasterFile.Parse("Master", text).Render());
    }

    [Fact]
    public void Master_fields_and_directives_are_read()
    {
        var master = MasterFile.Parse("mdevice.d/asyc", Master2);
        Assert.Equal(2, master.Version);
        var entry = Assert.Single(master.Entries);
        Assert.Equal(("asyc", "asyc_", "ctkH", 3), (entry.Name, entry.Prefix, entry.Characteristics, entry.Order));
        Assert.Equal(new MajorRange(0, 0), entry.BlockMajors);
        Assert.Equal(new MajorRange(3, 5), entry.CharMajors);
        Assert.True(entry.IsCharacter && entry.KeepsMajors && entry.IsHardware && !entry.IsBlock);
        Assert.Null(entry.Cpu);
        Assert.True(master.HasDirective("interface"));
        Assert.False(master.HasDirective("dversion"));
    }

    [Fact]
    public void A_version_1_Master_may_bind_a_cpu_and_dversion_makes_it_hardware()
    {
        var master = MasterFile.Parse("m", "$version 1\n$dversion 1\nfoo foo_ r 0 0 0 2\n");
        Assert.Equal(1, master.Version);
        Assert.Equal("2", master.Entries[0].Cpu);
        Assert.True(master.IsHardware);
        Assert.True(master.IsRequired);
        Assert.False(MasterFile.Parse("m", "$version 2\nfoo foo_ r 0 0 0\n").IsHardware);
        Assert.True(MasterFile.Parse("m", "foo foo_ - 0 0 0 1\n").Version == 1); // no $version: the old format
    }

    [Fact]
    public void Changing_majors_rewrites_only_those_fields()
    {
        var master = MasterFile.Parse("m", Master2);
        var changed = master.WithEntry(0, master.Entries[0] with { CharMajors = new MajorRange(40, 42) });
        var lines = changed.Render().Split('\n');
        Assert.Equal("asyc   asyc_  ctkH   3    0   40-42   # trailing comment", lines[14]);
        Assert.Equal(Master2.Split('\n')[..14], lines[..14]);
    }

    [Theory]
    [InlineData("$version 2\nfoo foo_ c 0 0\n", 2, "found 5")]
    [InlineData("$version 2\nfoo foo_ c 0 0 1 2\n", 2, "version 2 Master entry has 6 fields")]
    [InlineData("$version 1\nfoo foo_ c 0 0 1 2 3\n", 2, "6 or 7 fields")]
    [InlineData("$version 2\n\nfoo foo_ c x 0 1\n", 3, "bad order 'x'")]
    [InlineData("$version 2\nfoo foo_ c 0 0 9-3\n", 2, "bad character major '9-3'")]
    [InlineData("$version 2\nfoo foo_ c 0 -4 3\n", 2, "bad block major '-4'")]
    [InlineData("$version 2\nfoo foo_ c+ 0 0 3\n", 2, "bad characteristics 'c+'")]
    [InlineData("# c\n$version two\n", 2, "$version needs one number")]
    [InlineData("$version 3\n", 1, "unsupported $version 3")]
    [InlineData("$version 2\n$\n", 2, "without a directive name")]
    [InlineData("$version 1\nfoo foo_ c 0 0 3 x\n", 2, "bad cpu binding 'x'")]
    public void A_malformed_Master_names_file_line_and_problem(string text, int line, string problem)
    {
        var e = Assert.Throws<ConfigFormatException>(() => MasterFile.Parse("etc/conf/mdevice.d/foo", text));
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"etc/conf/mdevice.d/foo:{line}: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("$version 2\n$loadable\nasyc\tY\t1\t6\t1\t4\t3f8\t3ff\t0\t0\t-1\n")]
    [InlineData("$version 2\n#$loadable asyc\n$static\nasyc N 1 6 1 4 3f8 3ff 0 0 -1 0\nasyc Y 2 6 1 3 2f8 2ff 0 0 -1 1\n")]
    public void System_files_are_written_back_byte_for_byte(string text)
    {
        Assert.Equal(text, SystemFile.Parse("System", text).Render());
    }

    [Fact]
    public void System_loadable_and_configured_states()
    {
        var loadable = SystemFile.Parse("s", "$version 2\n$loadable\nfoo Y 1 5 1 9 0 0 0 0 -1\n");
        Assert.True(loadable.IsLoadable && loadable.IsLoadableAsSource && loadable.IsConfigured && !loadable.IsStubbedOut);

        foreach (var commented in new[] { "#$loadable\n", "# $loadable foo\n", "  #\t$loadable\n" })
        {
            var s = SystemFile.Parse("s", "$version 2\n" + commented + "foo N 1 5 1 9 0 0 0 0 -1\n");
            Assert.False(s.IsLoadable);
            Assert.True(s.IsLoadableAsSource, commented);
            Assert.True(s.IsStubbedOut);
        }
        Assert.False(SystemFile.Parse("s", "$version 2\n##$loadable\n").IsLoadableAsSource);
        Assert.False(SystemFile.Parse("s", "$version 2\n# $loadables\n").IsLoadableAsSource);
        Assert.False(SystemFile.Parse("s", "$version 2\n").IsStubbedOut);
    }

    [Fact]
    public void Configuring_changes_only_the_configure_fields()
    {
        var text = "$version 2\n$loadable\nfoo\tN\t1\t5\t1\t9\t0\t0\t0\t0\t-1\nfoo  N  2 5 1 10 0 0 0 0 -1 # second\n";
        var on = SystemFile.Parse("s", text).WithConfigured(true);
        Assert.Equal("$version 2\n$loadable\nfoo\tY\t1\t5\t1\t9\t0\t0\t0\t0\t-1\nfoo  Y  2 5 1 10 0 0 0 0 -1 # second\n", on.Render());
        Assert.True(on.Entries.All(e => e.Configured));
        Assert.Equal("$version 2\nfoo\tY\t1\t5\t1\t9\t0\t0\t0\t0\t-1\nfoo  Y  2 5 1 10 0 0 0 0 -1 # second\n", on.WithoutLoadable().Render());
    }

    [Theory]
    [InlineData("foo Y 1 5 1 9 0 0 0 0\n", 1, "11 or 12 fields")]
    [InlineData("$version 2\nfoo y 1 5 1 9 0 0 0 0 -1\n", 2, "bad configure field 'y'")]
    [InlineData("$version 2\nfoo Y 1 5 1 9 3g8 0 0 0 -1\n", 2, "bad sioa '3g8'")]
    [InlineData("$version 2\nfoo Y one 5 1 9 0 0 0 0 -1\n", 2, "bad unit 'one'")]
    [InlineData("$version 2\nfoo Y 1 5 1 9 0 0 0 0 -1 x\n", 2, "bad cpu 'x'")]
    public void A_malformed_System_names_file_line_and_problem(string text, int line, string problem)
    {
        var e = Assert.Throws<ConfigFormatException>(() => SystemFile.Parse("sdevice.d/foo", text));
        Assert.Equal(line, e.Line);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"sdevice.d/foo:{line}:", e.Message);
    }

    [Fact]
    public void Node_files_round_trip_and_are_checked()
    {
        var text = "$maxchan 16\nasyc\ttty00\tc\t0\nasyc tty01 c:2 1 root sys 0666\nasyc term/a b 3 bin bin 600 2\n";
        var node = NodeFile.Parse("node.d/asyc", text);
        Assert.Equal(text, node.Render());
        Assert.Equal(3, node.Entries.Count);
        Assert.Equal(('c', 2), (node.Entries[1].Type, node.Entries[1].Offset!.Value));

        foreach (var (bad, problem) in new[] { ("asyc tty00 x 0\n", "bad node type 'x'"), ("asyc tty00 c:z 0\n", "bad node type"),
                     ("asyc tty00 c 0 root\n", "4, 7 or 8 fields"), ("asyc tty00 c 0 root sys 0689\n", "bad mode '0689'") })
        {
            var e = Assert.Throws<ConfigFormatException>(() => NodeFile.Parse("node.d/asyc", "# nodes\n" + bad));
            Assert.Equal(2, e.Line);
            Assert.Contains(problem, e.Message);
        }
    }

    [Fact]
    public void Res_major_round_trips_appends_and_is_checked()
    {
        var text = "# reserved majors\nc\t7\tasyc\nb 10-12 disk\n";
        var file = ResMajorFile.Parse("cf.d/res_major", text);
        Assert.Equal(text, file.Render());
        Assert.Equal(new ResMajorEntry('b', new MajorRange(10, 12), "disk"), file.Entries[1]);
        Assert.Equal(text + "c\t40-41\tnewdrv\n", file.WithAppended([new ResMajorEntry('c', new MajorRange(40, 41), "newdrv")]).Render());

        var e = Assert.Throws<ConfigFormatException>(() => ResMajorFile.Parse("cf.d/res_major", "c 7 asyc\nx 8 foo\n"));
        Assert.Equal("cf.d/res_major:2: bad type 'x' (b or c)", e.Message);
        e = Assert.Throws<ConfigFormatException>(() => ResMajorFile.Parse("cf.d/res_major", "c 7\n"));
        Assert.Contains(":1: a res_major entry has 3 fields", e.Message);
    }

    [Fact]
    public void Lines_appended_to_a_CRLF_res_major_end_in_CRLF()
    {
        var file = ResMajorFile.Parse("r", "c 7 asyc\r\n").WithAppended([new ResMajorEntry('b', new MajorRange(9, 9), "disk")]);
        Assert.Equal("c 7 asyc\r\nb\t9\tdisk\r\n", file.Render());
        Assert.Equal("disk", ResMajorFile.Parse("r", file.Render()).Entries[1].Module);
    }

    [Fact]
    public void Generated_files_of_every_kind_round_trip_and_field_edits_touch_nothing_else()
    {
        var random = new Random(20261124);
        string Blank() => new[] { " ", "\t", "  ", " \t ", "\t\t" }[random.Next(5)];
        string Line(params string[] fields) => (random.Next(4) == 0 ? Blank() : "") + string.Join("", fields.Select((f, i) => i == 0 ? f : Blank() + f))
            + (random.Next(5) == 0 ? Blank() : "") + (random.Next(6) == 0 ? Blank() + "# note " + random.Next(100) : "");
        string Comment() => new[] { "#ident\t\"@(#)x 1.1\"", "* star comment", "", "   ", "#", "# $loadable? no: a comment" }[random.Next(6)];
        for (int round = 0; round < 200; round++)
        {
            var newline = random.Next(3) == 0 ? "\r\n" : "\n";
            var lines = new List<string>();
            for (int k = random.Next(3); k > 0; k--) lines.Add(Comment());
            lines.Add(Line("$version", "2"));
            lines.Add(Line("$interface", "ddi", random.Next(9).ToString()));
            if (random.Next(2) == 0) lines.Add(Comment());
            var cmaj = random.Next(2) == 0 ? random.Next(1, 99).ToString() : "4-9";
            lines.Add(Line("drv", "drv_", "chk", random.Next(9).ToString(), "0", cmaj));
            var text = string.Join(newline, lines) + (random.Next(4) == 0 ? "" : newline);
            var master = MasterFile.Parse("m", text);
            Assert.Equal(text, master.Render());

            var changed = master.WithEntry(0, master.Entries[0] with { CharMajors = new MajorRange(120, 121) });
            var before = text.Split('\n');
            var after = changed.Render().Split('\n');
            var entryLine = Array.FindIndex(before, l => l.TrimStart().StartsWith("drv"));
            Assert.Equal(before.Length, after.Length);
            for (int i = 0; i < before.Length; i++)
                if (i != entryLine) Assert.Equal(before[i], after[i]);
            var sixth = System.Text.RegularExpressions.Regex.Match(before[entryLine], @"^(\s*(?:\S+\s+){5})(\S+)(.*)$", System.Text.RegularExpressions.RegexOptions.Singleline);
            Assert.Equal(cmaj, sixth.Groups[2].Value);
            Assert.Equal(sixth.Groups[1].Value + "120-121" + sixth.Groups[3].Value, after[entryLine]);
            Assert.Equal(new MajorRange(120, 121), MasterFile.Parse("m", changed.Render()).Entries[0].CharMajors);

            var system = string.Join(newline, [Comment(), Line("$version", "2"), random.Next(2) == 0 ? Line("$loadable") : Comment(),
                Line("drv", "N", "1", "5", "1", "9", "3f8", "3FF", "0", "0", "-1")]) + newline;
            var configured = SystemFile.Parse("s", system).WithConfigured(true).Render();
            Assert.Equal(system, SystemFile.Parse("s", system).Render());
            var entryAt = system.IndexOf("drv", StringComparison.Ordinal);
            var flagAt = system.IndexOf('N', entryAt);
            Assert.Equal(system[..flagAt] + "Y" + system[(flagAt + 1)..], configured);
        }
    }

    [Fact]
    public void A_tree_is_loaded_and_written_back_byte_for_byte_without_what_idbuild_regenerates()
    {
        using var dir = new TempDir();
        var tree = new ConfTreeWriter(dir["conf"])
            .Driver("asyc", "chk", cmaj: "3", node: "asyc tty00 c 0\n", loadable: true)
            .Driver("kma")
            .File("mtune.d/kma", "KMA_PARAM 1 0 4\n")
            .File("cf.d/res_major", "c 3 asyc\n")
            .File("cf.d/stune", "NPROC 400\n")
            .File("cf.d/unix", "old kernel")
            .File("cf.d/conf.o", "x")
            .File("pack.d/asyc/mod_conf.c", "generated")
            .File("pack.d/asyc/space.c", "int asyc_cnt;\n")
            .File("pack.d/asyc/stubs.o", "generated")
            .File("mod.d/asyc", "built module")
            .File("init.d/asyc", "ap::sysinit:/sbin/asyc\n")
            .File("kstuff.d/bundle.Z", "old bundle");
        File.SetUnixFileMode(dir["conf/init.d/asyc"], (UnixFileMode)0x1ED);

        var loaded = ConfigTree.Load(tree.Root);
        Assert.Equal(["asyc", "kma"], loaded.Drivers.Keys);
        Assert.Equal(["pack.d/asyc/Driver.o", "pack.d/asyc/space.c"], loaded.Drivers["asyc"].Files.Select(f => f.Path));
        Assert.Equal(["mtune.d/kma", "pack.d/kma/Driver.o"], loaded.Drivers["kma"].Files.Select(f => f.Path));
        Assert.NotNull(loaded.Drivers["asyc"].Node);
        Assert.Equal(["cf.d/stune", "init.d/asyc"], loaded.OtherFiles.Select(f => f.Path));

        loaded.Write(dir["copy"]);
        var expected = new[] { "cf.d/res_major", "cf.d/stune", "init.d/asyc", "mdevice.d/asyc", "mdevice.d/kma", "mtune.d/kma",
            "node.d/asyc", "pack.d/asyc/Driver.o", "pack.d/asyc/space.c", "pack.d/kma/Driver.o", "sdevice.d/asyc", "sdevice.d/kma" };
        var written = Directory.EnumerateFiles(dir["copy"], "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir["copy"], f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, written);
        foreach (var file in expected)
            Assert.Equal(File.ReadAllBytes(dir["conf/" + file]), File.ReadAllBytes(dir["copy/" + file]));
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(dir["copy/init.d/asyc"]) & (UnixFileMode)0x1FF);
        Assert.Empty(Directory.GetDirectories(dir.Path, ".copy.tmp-*"));
    }

    [Fact]
    public void Loading_a_tree_with_a_malformed_file_names_its_full_path_and_line()
    {
        using var dir = new TempDir();
        var tree = new ConfTreeWriter(dir["conf"]).Driver("good").File("sdevice.d/bad", "$version 2\n\nbad Q 1 5 1 9 0 0 0 0 -1\n");
        var e = Assert.Throws<ConfigFormatException>(() => ConfigTree.Load(tree.Root));
        Assert.Equal($"{Path.Combine(tree.Root, "sdevice.d/bad")}:3: bad configure field 'Q' (Y or N)", e.Message);
    }

    [Fact]
    public void Writing_refuses_a_directory_that_is_not_empty()
    {
        using var dir = new TempDir();
        var tree = ConfigTree.Load(new ConfTreeWriter(dir["conf"]).Driver("a").Root);
        dir.Write("out/keep", "mine");
        Assert.Throws<GitKsplice.Reporting.UserError>(() => tree.Write(dir["out"]));
        Assert.Equal("mine", File.ReadAllText(dir["out/keep"]));
    }
}
