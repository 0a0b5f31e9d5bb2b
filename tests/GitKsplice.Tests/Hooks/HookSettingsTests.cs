using GitKsplice.Git;
using GitKsplice.Hooks;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Hooks;

/// <summary>The hook's try settings read from git config: checks and the running kernel's modules, each key repeatable.</summary>
public sealed class HookSettingsTests
{
    [Fact]
    public void The_hooks_try_reads_its_checks_and_modules_from_repeated_keys()
    {
        using var repo = new TestRepo();
        repo.Git("config", "ksplice.hook.try", "true");
        repo.Git("config", "--add", "ksplice.hook.check", "cat /proc/config.gz | wc -c");
        repo.Git("config", "--add", "ksplice.hook.module", "ksplice/modules/configs.ko");
        repo.Git("config", "--add", "ksplice.hook.module", "/lib/modules/6.1.192/kernel/fs/fat.ko");

        using var repository = KspliceRepository.Discover(repo.Root);
        var settings = HookSettings.Read(repository);

        Assert.True(settings.Try);
        Assert.Equal(["cat /proc/config.gz | wc -c"], settings.Checks);
        Assert.Equal(["ksplice/modules/configs.ko", "/lib/modules/6.1.192/kernel/fs/fat.ko"], settings.Modules);
        using var plain = new TestRepo();
        using var unset = KspliceRepository.Discover(plain.Root);
        Assert.Empty(HookSettings.Read(unset).Modules!);
    }
}
