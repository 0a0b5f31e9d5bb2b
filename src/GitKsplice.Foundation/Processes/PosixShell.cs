using System.Text;

namespace GitKsplice.Processes;

/// <summary>Quoting for the POSIX shell on a host: every remote argument passes through here.</summary>
public static class PosixShell
{
    /// <summary>Quotes one word so that sh reads it back unchanged, whatever it contains.</summary>
    public static string Quote(string word)
    {
        if (word.Contains('\0'))
            throw new ArgumentException("a shell argument cannot contain a NUL byte", nameof(word));
        if (word.Length > 0 && word.All(IsPlain))
            return word;
        return "'" + word.Replace("'", "'\\''") + "'";
    }

    /// <summary>A command line for sh: each word quoted, separated by spaces.</summary>
    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));

    private static bool IsPlain(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '/' or '.' or '_' or '-' or '+' or ',' or ':' or '=' or '@' or '%';

    /// <summary>
    /// Splits a command written the way git's core.sshCommand is (words, single and double quotes,
    /// backslash escapes) without running a shell.
    /// </summary>
    public static IReadOnlyList<string> SplitWords(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            switch (c)
            {
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0) throw new FormatException("unterminated single quote");
                    current.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i++;
                    for (; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                            i++;
                        current.Append(text[i]);
                    }
                    if (i >= text.Length) throw new FormatException("unterminated double quote");
                    break;
                case '\\':
                    if (i + 1 >= text.Length) throw new FormatException("backslash at the end");
                    current.Append(text[++i]);
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }
        if (inWord) words.Add(current.ToString());
        return words;
    }
}
