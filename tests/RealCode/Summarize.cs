// Reads the SARIF 2.1 logs of a build with LockOrder injected (one per project and target framework) and prints:
// LockOrder's crashes (AD0001) grouped by exception and first engine frame, the count of each LOCK rule, then every
// LOCK result with its place and the logs (projects) that reported it.
// Exit 1 when LockOrder crashed. Run by run.sh: dotnet run --file Summarize.cs -- <checkout root> <log.sarif>...
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

if (args.Length < 2 || !Directory.Exists(args[0]) || args.Skip(1).Any(log => !File.Exists(log)))
{
    Console.Error.WriteLine("usage: Summarize.cs <checkout root> <log.sarif>...");
    return 64;
}

string root = Path.GetFullPath(args[0]).TrimEnd('/') + "/";
var results = new List<(string Rule, string Level, string Where, string Message, string Log)>();
foreach (string log in args.Skip(1))
{
    string logName = Path.GetFileNameWithoutExtension(log);
    using var document = JsonDocument.Parse(File.ReadAllText(log));
    foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
    {
        if (!run.TryGetProperty("results", out var items))
        {
            continue;
        }

        foreach (var result in items.EnumerateArray())
        {
            string rule = result.GetProperty("ruleId").GetString() ?? "";
            string level = result.TryGetProperty("level", out var l) ? l.GetString() ?? "" : "warning";
            string message = result.GetProperty("message").GetProperty("text").GetString() ?? "";
            string where = "";
            if (result.TryGetProperty("locations", out var locations) && locations.GetArrayLength() > 0
                && locations[0].TryGetProperty("physicalLocation", out var physical))
            {
                string uri = physical.GetProperty("artifactLocation").GetProperty("uri").GetString() ?? "";
                uri = Uri.TryCreate(uri, UriKind.Absolute, out var absolute) && absolute.IsFile ? absolute.LocalPath : uri;
                int line = physical.TryGetProperty("region", out var region) && region.TryGetProperty("startLine", out var sl) ? sl.GetInt32() : 0;
                where = (uri.StartsWith(root, StringComparison.Ordinal) ? uri.Substring(root.Length) : uri) + "(" + line + ")";
            }

            results.Add((rule, level, where, message, logName));
        }
    }
}

Console.WriteLine($"SARIF logs read: {args.Length - 1} ({string.Join(", ", args.Skip(1).Select(Path.GetFileNameWithoutExtension))})");
var crashes = results.Where(r => r.Rule == "AD0001" && r.Message.Contains("LockOrder.", StringComparison.Ordinal)).ToList();
Console.WriteLine($"AD0001 from LockOrder: {crashes.Count}");
foreach (var group in crashes.GroupBy(c => Signature(c.Message)).OrderByDescending(g => g.Count()))
{
    Console.WriteLine($"  {group.Count(),5}  {group.Key}");
    Console.WriteLine($"         e.g. {FirstLine(group.First().Message)}");
}

var mine = results.Where(r => r.Rule.StartsWith("LOCK", StringComparison.Ordinal)).ToList();
Console.WriteLine($"LockOrder diagnostics: {mine.Count}" + (mine.Count == 0 ? "" : " (" + string.Join(", ", mine.GroupBy(r => r.Rule).OrderBy(g => g.Key).Select(g => g.Key + " " + g.Count())) + ")"));
// A file compiled by several projects or frameworks reports the same finding once per compile: listed once.
foreach (var r in mine.GroupBy(r => (r.Rule, r.Level, r.Where, r.Message)).OrderBy(g => g.Key.Rule).ThenBy(g => g.Key.Where, StringComparer.Ordinal))
{
    Console.WriteLine($"  {r.Key.Rule} {r.Key.Level} {r.Key.Where}: {r.Key.Message} [{string.Join(", ", r.Select(x => x.Log).Distinct())}]");
}

return crashes.Count == 0 ? 0 : 1;

// "IndexOutOfRangeException at LockOrder.Engine.LockDataflow.Transfer": what to fix, whichever rule hit it.
static string Signature(string message)
{
    var inner = Regex.Matches(message, @"---> ([\w.]+):").Select(m => m.Groups[1].Value).LastOrDefault()
        ?? Regex.Match(message, @"exception of type '([\w.]+)'").Groups[1].Value;
    var frame = Regex.Matches(message, @"at (LockOrder\.[\w.`<>|]+)\(").Select(m => m.Groups[1].Value).FirstOrDefault() ?? "?";
    return inner + " at " + frame;
}

static string FirstLine(string text)
{
    int end = text.IndexOfAny(new[] { '\r', '\n' });
    return end < 0 ? text : text.Substring(0, end);
}
