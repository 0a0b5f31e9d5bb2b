using GitKsplice.Git;
using GitKsplice.Reporting;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Updates;

/// <summary>
/// An update id is read once where it comes in: from JSON as its string (the files keep their bytes), a bad one in a
/// manifest is one line naming the source and the field, and a note record whose name is not an id is no update's.
/// </summary>
public class UpdateIdJsonTests
{
    private static readonly string Json = new Manifest
    {
        Id = UpdateId.Parse("fix-1"), Pre = new string('1', 40), PreTree = new string('2', 40), Post = new string('3', 40), PostTree = new string('4', 40),
        Source = "commit q", Compiler = "gcc", BuildCommand = "make", CompilerFlags = "", Objects = [],
    }.ToJson();

    [Fact]
    public void An_id_is_written_as_its_string_and_read_back()
    {
        Assert.Contains("\n  \"id\": \"fix-1\",\n", Json);
        Assert.Equal(UpdateId.Parse("fix-1"), Manifest.FromJson(Json, "m.json").Id);
    }

    [Theory]
    [InlineData("\"../x\"", "m.json is not a manifest this git-ksplice accepts: id: \"../x\" is not an update id")]
    [InlineData("\"\"", "m.json is not a manifest this git-ksplice accepts: id: \"\" is not an update id")]
    [InlineData("null", "m.json is not a manifest this git-ksplice accepts: id: null is not an update id")]
    [InlineData("7", "m.json is not a manifest: id: The JSON value could not be converted to System.String")]
    public void A_bad_id_in_a_manifest_is_one_line_naming_it(string id, string expected)
    {
        var bad = Json.Replace("\"id\": \"fix-1\"", $"\"id\": {id}");
        Assert.Equal(expected, Assert.Throws<UserError>(() => Manifest.FromJson(bad, "m.json")).Message);
    }

    [Fact]
    public void A_note_record_whose_name_is_not_an_id_is_skipped()
    {
        var note = new NoteRecord(UpdateNote.Kind, "a/b").Add("pre", "p") + "\n\n" + new NoteRecord(UpdateNote.Kind, "ok1").Add("pre", "p");
        Assert.Equal([UpdateId.Parse("ok1")], UpdateNote.ParseAll(note).Select(n => n.Id));
    }
}
