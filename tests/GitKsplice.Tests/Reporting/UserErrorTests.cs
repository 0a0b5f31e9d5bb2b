using GitKsplice.Reporting;

namespace GitKsplice.Tests.Reporting;

/// <summary>The error of a program that failed, as one line a user reads: its first line, without its own "fatal: ".</summary>
public class UserErrorTests
{
    [Fact]
    public void A_programs_error_is_its_first_line_without_fatal_and_named_by_what_failed()
    {
        var e = UserError.FromStderr("\n   \n  fatal: not a git repository  \nhint: more\n", "git failed", "git rev-parse");
        Assert.Equal("git rev-parse: not a git repository", e.Message);
        Assert.Equal(ExitCodes.Error, e.ExitCode);
    }

    [Fact]
    public void A_program_that_said_nothing_gets_the_fallback()
    {
        Assert.Equal("make failed", UserError.FromStderr(" \n\n", "make failed").Message);
    }

    [Fact]
    public void Only_a_leading_fatal_is_taken_off()
    {
        Assert.Equal("error: fatal: nested", UserError.FromStderr("error: fatal: nested\n", "x").Message);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("\n \n", null)]
    [InlineData("  first  \nsecond", "first")]
    public void The_first_line_is_the_first_that_is_not_blank_trimmed(string text, string? first)
    {
        Assert.Equal(first, UserError.FirstLine(text));
    }

    [Fact]
    public void An_exit_code_given_is_kept()
    {
        Assert.Equal(ExitCodes.Usage, new UserError("bad option", ExitCodes.Usage).ExitCode);
    }
}
