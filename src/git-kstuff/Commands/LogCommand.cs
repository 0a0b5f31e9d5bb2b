using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Kstuff.Delivery;
using GitKsplice.Reporting;

namespace GitKsplice.Cli.Commands;

/// <summary>git kstuff log: every delivery recorded in refs/notes/kstuff, oldest first.</summary>
internal static class LogCommand
{
    public static Command Build()
    {
        var json = CommonOptions.Json();
        var command = new Command("log", "Show the deliveries recorded in refs/notes/kstuff (target, kname, time, result)") { json };
        command.Runs((context, parse) =>
        {
            var repository = context.Repository;
            var deliveries = new DeliveryNotes(repository).All();
            if (parse.GetValue(json))
            {
                context.WriteJson(deliveries.Select(DeliveryJson.Of).ToList(), KstuffJsonContext.Relaxed.IReadOnlyListDeliveryJson);
                return ExitCodes.Success;
            }
            foreach (var d in deliveries)
                context.Out.WriteLine($"{d.Record.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {d.Commit[..12]}  {d.Record.Target}:{d.Record.Kname}  " +
                    $"{DeliveryNames.Label(d.Record.Mode)}  {d.Record.Summary}");
            return ExitCodes.Success;
        });
        return command;
    }
}
