using GitKsplice.Reporting;

namespace GitKsplice.Tests.Reporting;

/// <summary>A name from untrusted input in an error line: quoted, on one line, cut short, escapes as git's quotePath.</summary>
public class QuotedTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("two\nlines\tand\rreturn", "\"two\\nlines\\tand\\rreturn\"")]
    [InlineData("bell\u0007esc\u001b", "\"bell\\007esc\\033\"")]
    [InlineData("", "\"\"")]
    public void Quotes_backslashes_and_control_characters_are_escaped(string value, string quoted)
    {
        Assert.Equal(quoted, Quoted.Name(value));
    }

    [Fact]
    public void No_name_is_null_unquoted()
    {
        Assert.Equal("null", Quoted.Name(null));
    }

    [Fact]
    public void A_long_name_is_cut_at_the_limit_and_says_so()
    {
        Assert.Equal("\"abcde…\"", Quoted.Name("abcdefgh", max: 5));
        Assert.Equal("\"abcde\"", Quoted.Name("abcde", max: 5));
        Assert.Equal(80 + "\"\"…".Length, Quoted.Name(new string('x', 200)).Length);
    }
}
