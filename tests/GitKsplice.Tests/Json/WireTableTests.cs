using System.Text.Json;
using GitKsplice.Json;

namespace GitKsplice.Tests.Json;

/// <summary>Enums and times on the wire: one name per value both ways, and times in UTC to the second.</summary>
public class WireTableTests
{
    private enum Colour { Red, DarkBlue }

    private static readonly WireTable<Colour> Colours = new((Colour.Red, "red"), (Colour.DarkBlue, "dark-blue"));

    [Fact]
    public void Every_value_goes_out_by_its_name_and_comes_back()
    {
        foreach (var colour in Enum.GetValues<Colour>())
            Assert.Equal(colour, Colours.Parse(Colours[colour]));
        Assert.Equal("dark-blue", Colours[Colour.DarkBlue]);
        Assert.Equal(["red", "dark-blue"], Colours.Names);
    }

    [Theory]
    [InlineData("DarkBlue")]
    [InlineData("Red")]
    [InlineData("")]
    [InlineData(null)]
    public void A_name_the_table_does_not_have_is_no_value(string? name)
    {
        Assert.Null(Colours.Parse(name));
    }

    [Fact]
    public void A_table_without_a_name_for_every_value_or_with_a_name_twice_is_refused()
    {
        var missing = Assert.Throws<ArgumentException>(() => new WireTable<Colour>((Colour.Red, "red")));
        Assert.StartsWith("Colour: no wire name for DarkBlue", missing.Message);
        var twice = Assert.Throws<ArgumentException>(() => new WireTable<Colour>((Colour.Red, "red"), (Colour.DarkBlue, "red")));
        Assert.StartsWith("Colour: 'DarkBlue' or 'red' named twice", twice.Message);
    }

    [Fact]
    public void A_time_is_written_in_UTC_to_the_second_and_read_back()
    {
        var time = new DateTimeOffset(2026, 11, 26, 16, 12, 21, 789, TimeSpan.FromHours(2));

        var written = WireTime.Format(time);

        Assert.Equal("2026-11-26T14:12:21Z", written);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 14, 12, 21, TimeSpan.Zero), WireTime.Parse(written));
    }

    [Theory]
    [InlineData("2026-11-26T14:12:21.5Z", "2026-11-26T14:12:21Z")]
    [InlineData("2026-11-26T16:12:21+02:00", "2026-11-26T14:12:21Z")]
    [InlineData("2026-11-26T14:12:21", "2026-11-26T14:12:21Z")]
    public void Older_forms_of_a_time_read_as_the_same_instant(string text, string expected)
    {
        Assert.Equal(expected, WireTime.Format(WireTime.Parse(text)!.Value));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("")]
    [InlineData(null)]
    public void An_unreadable_time_is_no_time(string? text)
    {
        Assert.Null(WireTime.Parse(text));
    }

    [Fact]
    public void The_converter_writes_and_reads_times_as_WireTime_does()
    {
        var options = new JsonSerializerOptions { Converters = { new WireTimeConverter() } };
        var time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var json = JsonSerializer.Serialize(time, options);

        Assert.Equal("\"2026-01-02T03:04:05Z\"", json);
        Assert.Equal(time, JsonSerializer.Deserialize<DateTimeOffset>(json, options));
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DateTimeOffset>("\"soon\"", options));
        Assert.Equal("not a time: soon", e.Message);
    }
}
